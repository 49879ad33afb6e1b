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

// The people picker keeps its picks across searches. Ticking a result copies its line (the
// <template id="pick-…"> the server rendered next to it) into "Selected"; unticking either copy
// drops the pick. The boxes in "Selected" are what "Add selected" sends (with any ticked result).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.name !== "member" || !box.closest("#picker")) return;
  if (box.closest("#candidates")) {
    if (box.checked) addPick(box.value);
    else dropPick(box.value);
  } else if (box.closest("#picked") && !box.checked) {
    dropPick(box.value);
  }
});

function pickedBox(id) {
  return document.querySelector(`#picked input[name="member"][value="${CSS.escape(id)}"]`);
}

function addPick(id) {
  const line = document.getElementById(`pick-${id}`);
  if (pickedBox(id) || !line) return;
  document.querySelector("#picked .picked-list").append(line.content.cloneNode(true));
}

function dropPick(id) {
  const result = document.querySelector(`#candidates input[name="member"][value="${CSS.escape(id)}"]`);
  if (result) result.checked = false;
  const line = pickedBox(id)?.closest("li");
  if (!line) return;
  if (line.contains(document.activeElement)) {
    // Unticked in "Selected": keep the keyboard in the list (or go back to the search box).
    const next = line.nextElementSibling || line.previousElementSibling;
    (next?.querySelector("input") || document.getElementById("picker-q")).focus();
  }
  line.remove();
}

// After any swap (a new search, an add that emptied "Selected"): results show the picks as ticked.
document.addEventListener("htmx:afterSettle", () => {
  document.querySelectorAll('#candidates input[name="member"]:not(:disabled)').forEach((box) => {
    box.checked = pickedBox(box.value) !== null;
  });
});
