// Membership Desk's only script: "select all" for the member table's checkboxes, and a marker
// saying htmx has processed the page.
// Everything else is htmx attributes; this file is served from 'self' (no inline script: CSP).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input.select-all")) return;
  const table = box.closest("table");
  table.querySelectorAll('tbody input[type="checkbox"][name="member"]:not(:disabled)').forEach((row) => {
    row.checked = box.checked;
  });
});

// htmx is a deferred script too, so a page can be visible before htmx has wired its inputs; an
// input typed in that instant goes unheard. htmx fires htmx:load on <body> once it has processed
// the whole page: mark <html> then, so a browser test can wait on an attribute (our CSP forbids
// the string evaluation that waiting on a JavaScript predicate needs).
if (window.htmx) {
  htmx.onLoad((element) => {
    if (element === document.body) document.documentElement.setAttribute("data-desk-ready", "");
  });
}
