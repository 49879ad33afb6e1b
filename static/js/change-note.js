// Issue 10: the ticket reference and reason typed in #change-note go with every change a page sends
// (htmx POSTs and DELETEs), so the journal keeps them with each entry. Served from 'self' (CSP).
document.addEventListener("htmx:configRequest", (event) => {
  const note = document.getElementById("change-note");
  if (!note || event.detail.verb === "get") return;
  for (const name of ["ticket", "reason"]) {
    const field = note.querySelector(`[name="${name}"]`);
    const value = field ? field.value.trim() : "";
    if (value && !event.detail.parameters[name]) event.detail.parameters[name] = value;
  }
});
