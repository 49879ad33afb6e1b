// The helpdesk tools' small behaviours (served from 'self': the CSP forbids inline script).
// 1. The ticket reference and reason typed in #change-note go with every change a page sends
//    (htmx POSTs and DELETEs), so the journal keeps them with each entry; so does the end chosen
//    for what an add gives (the server reads it for adds only).
document.addEventListener("htmx:configRequest", (event) => {
  const note = document.getElementById("change-note");
  if (!note || event.detail.verb === "get") return;
  for (const name of ["ticket", "reason", "ends", "ends_at"]) {
    const field = note.querySelector(`[name="${name}"]`);
    const value = field ? field.value.trim() : "";
    if (value && !event.detail.parameters[name] && !(name.startsWith("ends") && event.detail.parameters[name] !== undefined)) {
      event.detail.parameters[name] = value;  // a form with an end of its own (changing one) keeps it, even "never"
    }
  }
});

// 2. "Select all" boxes that name what they select: <input class="select-all" data-selects="container">.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input.select-all[data-selects]")) return;
  box.closest("table").querySelectorAll(`tbody input[type="checkbox"][name="${box.dataset.selects}"]:not(:disabled)`)
    .forEach((row) => { row.checked = box.checked; });
});

// 3. An end's date field shows only when "On a date…" is chosen (without this script it is simply
//    there, and the server ignores it for the other choices).
function showEndDate(choice) {
  const holder = choice.closest("fieldset, form");
  const date = holder && holder.querySelector(".ends-at");
  if (date) date.hidden = choice.value !== "date";
}
document.addEventListener("change", (event) => {
  if (event.target.matches("select.ends-choice")) showEndDate(event.target);
});
function showEndDates(root) {
  root.querySelectorAll("select.ends-choice").forEach(showEndDate);
}
document.addEventListener("htmx:load", (event) => showEndDates(event.detail.elt));
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => showEndDates(document));
} else {
  showEndDates(document);
}
