// Membership Desk's only script: the small behaviours htmx attributes can't express.
// Served from 'self' (no inline script, no eval: CSP). Every word it shows comes from the page.

// "Select all" for the member table's checkboxes.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input.select-all")) return;
  const table = box.closest("table");
  table.querySelectorAll('tbody input[type="checkbox"][name="member"]:not(:disabled)').forEach((row) => {
    row.checked = box.checked;
  });
});

// Back to a page the browser kept whole in memory (the back/forward cache): it shows membership
// as it was when left, so ask the server again. (Pages are sent no-store; some browsers keep them anyway.)
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});
