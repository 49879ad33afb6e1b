// Membership Desk's only script: "select all" for the member table's checkboxes.
// Everything else is htmx attributes; this file is served from 'self' (no inline script: CSP).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input.select-all")) return;
  const table = box.closest("table");
  table.querySelectorAll('tbody input[type="checkbox"][name="member"]:not(:disabled)').forEach((row) => {
    row.checked = box.checked;
  });
});
