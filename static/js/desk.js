// Membership Desk's only script: the small behaviours htmx attributes can't express.
// Served from 'self' (no inline script, no eval: CSP). Every word it shows comes from the page.

// The reader's time zone (an IANA name, "Europe/Paris"), for the server to show times in: a cookie sent
// with every request after this one (portal/localtime.py reads it strictly; the page that first writes it
// was rendered in UTC, and says "UTC").
// Written again only when it changed (the laptop travelled).
(() => {
  let zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-/]{1,64}$/.test(zone)) return;
  if (document.cookie.split("; ").includes(`desk_tz=${zone}`)) return;
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = `desk_tz=${zone}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
})();

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

// Back to a page the browser kept whole in memory (the back/forward cache): it shows membership
// as it was when left, so ask the server again. (Pages are sent no-store; some browsers keep them anyway.)
window.addEventListener("pageshow", (event) => {
  if (event.persisted) window.location.reload();
});

// Enter on a checkbox would submit its form (the browser's implicit submission): an add, or a removal of
// everyone ticked, sent while one was only ticking. Space ticks; a form's own button sends it.
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type === "checkbox") {
    event.preventDefault();
  }
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

// Confirmations that say how many and from what ("Remove 50 members from All Employees?"), from
// the ticked boxes and the form's own words (data-confirm-one, data-confirm-many), with each
// ticked member's data-no-undo warning. Nothing ticked: no question (the server says what to do).
document.addEventListener("htmx:confirm", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirmMany) return;
  event.preventDefault();
  const ticked = tickedMembers(form);
  if (ticked.length === 0 || window.confirm(question(form, ticked))) event.detail.issueRequest(true);
});

function tickedMembers(form) {
  const byId = new Map();
  for (const box of form.elements) {
    if (box.name === "member" && box.checked && !box.disabled && !byId.has(box.value)) byId.set(box.value, box);
  }
  return [...byId.values()];
}

function question(form, ticked) {
  const ask = ticked.length === 1
    ? form.dataset.confirmOne.replace("{name}", () => ticked[0].dataset.name || "")  // a function: no "$&" patterns
    : form.dataset.confirmMany.replace("{count}", () => ticked.length.toLocaleString("en"));
  const warnings = new Set(ticked.map((box) => box.dataset.noUndo).filter(Boolean));
  return [ask, ...warnings].join(" ");
}

// A change not made while the sign-in had expired, sent now from the notice: its line goes (the
// outcome shows where such a change always shows it, which takes the focus), and the notice with its last line.
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!event.detail.successful || !form.matches?.("form.resend")) return;
  const notice = form.closest("#not-sent");
  form.closest("li").remove();
  if (!notice.querySelector("li")) notice.remove();
});

// The member count read again after a change also rewrites "Showing 50 of N members" when the list
// shows the container's own members unsearched: it is told how many rows the page shows now.
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.elt.id !== "member-count" || !document.getElementById("member-shown")) return;
  if (document.getElementById("member-q")?.value.trim()) return;
  event.detail.parameters.rows = document.querySelectorAll('#member-rows > tr[id^="member-"]').length;
});

// A member removed, then added again (by the picker, a paste, an Undo elsewhere): the list shows the
// member's row, and the line its removal left (with an Undo that has nothing left to undo) goes.
document.addEventListener("htmx:afterSettle", () => {
  document.querySelectorAll('#member-rows > tr[id^="removed-"]').forEach((line) => {
    if (document.getElementById(`member-${line.id.slice("removed-".length)}`)) line.remove();
  });
});
