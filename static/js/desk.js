// Membership Desk's only script. Everything else is htmx attributes; this file is served from
// 'self' (no inline script: CSP).

// "Select all" for the member table's checkboxes.
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

// A button the user can't use stays focusable, so a screen reader announces it and its reason
// (aria-describedby); it is marked aria-disabled="true" instead of disabled, and does nothing:
// the click (also Enter or Space on it) is stopped here, in the capture phase, before htmx's
// handlers or a form submission see it.
document.addEventListener("click", (event) => {
  if (!(event.target instanceof Element) || !event.target.closest('[aria-disabled="true"]')) return;
  event.preventDefault();
  event.stopImmediatePropagation();
}, true);
