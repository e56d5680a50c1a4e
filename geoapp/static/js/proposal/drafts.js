/* Unsaved changes kept on the server as the user's draft a moment after each change (and at once when the
 * page is hidden), a warning before leaving with unsaved changes, and the page's own forms (publish, share,
 * rename) carrying the drawing through their reload. */

import { csrfToken } from "./server.js";
import { config, dirty, drawing, editable, editor, root } from "./state.js";
import { timeText } from "./text.js";

const DRAFT_DELAY = 1200;  // ms after the last change before the draft is kept
export const RESUME = "atlas-proposal-resume-" + config.proposal;
const draftStatus = document.getElementById("draft-status");
let draftTimer = null;     // the pending autosave of the draft

// the pending autosave dropped: a save or a copy has kept the changes
export function stopDraftTimer() {
  if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
}

// leaving with unsaved changes asks first; a page hidden or left keeps its pending draft at once
export function watchLeaving() {
  window.addEventListener("beforeunload", function (event) {
    if (!editable || editor.leaving || !dirty()) { return undefined; }
    flushDraft(true);
    event.preventDefault();
    event.returnValue = "";  // the browser asks whether to leave: the changes are not saved as a version
    return "";
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && draftTimer) { flushDraft(true); }
  });
  window.addEventListener("pagehide", function () { if (draftTimer) { flushDraft(true); } });
}

export function showDraftStatus(text) {
  if (!draftStatus) { return; }
  if (text) { draftStatus.textContent = text; return; }
  draftStatus.textContent = !dirty() ? "No unsaved changes." : editor.draftOffered
    ? "Unsaved changes. Restore or discard the earlier unsaved changes above before these are kept."
    : "Unsaved changes.";
  root.setAttribute("data-dirty", dirty() ? "true" : "false");
}

export function scheduleDraft() {
  if (!editable || !editor.loaded) { return; }
  root.setAttribute("data-dirty", dirty() ? "true" : "false");
  if (draftTimer) { clearTimeout(draftTimer); }
  draftTimer = setTimeout(function () { draftTimer = null; sendDraft(false); }, DRAFT_DELAY);
  showDraftStatus();
}

// keep the unsaved changes (or drop the draft when there are none); keepalive lets it outlive the page
function sendDraft(keepalive) {
  if (!editable || !editor.loaded || editor.draftOffered) { return Promise.resolve(); }
  var unsaved = dirty();
  if (!unsaved && !editor.draftKept) { showDraftStatus(); return Promise.resolve(); }
  var url = unsaved ? config.urls.draft : config.urls.discard;
  var body = unsaved ? { assignment: drawing.assignment, forums: drawing.forums, base_version: editor.version } : {};
  root.setAttribute("data-draft-saving", "true");
  return fetch(url, { method: "POST", credentials: "same-origin", keepalive: !!keepalive,
    headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body) }).then(function (response) {
    return response.json().catch(function () { return {}; }).then(function (data) {
      if (!response.ok) { throw new Error(data.description || "the server answered " + response.status); }
      editor.draftKept = unsaved;
      if (unsaved) {
        showDraftStatus("Unsaved changes, kept as a draft at " + timeText(data.saved_at) + ": they are offered back if you leave and return.");
        root.setAttribute("data-draft-saved", data.saved_at || "");
      } else {
        showDraftStatus();
      }
    });
  }).catch(function (error) {
    showDraftStatus("Unsaved changes. They could not be kept as a draft (" + error.message + "): save a version soon.");
  }).then(function () { root.removeAttribute("data-draft-saving"); });
}

export function flushDraft(keepalive) {
  if (draftTimer) { clearTimeout(draftTimer); draftTimer = null; }
  return sendDraft(keepalive);
}

// the page's other forms (publish, share, rename) reload it: keep the drawing and pick it up again
export function wireLeaving() {
  document.querySelectorAll("form[data-keeps-drawing]").forEach(function (form) {
    if (form.getAttribute("data-wired")) { return; }
    form.setAttribute("data-wired", "true");
    form.addEventListener("submit", function (event) {
      if (!dirty() || editor.draftOffered) { editor.leaving = true; return; }
      event.preventDefault();
      flushDraft(false).then(function () {
        try { sessionStorage.setItem(RESUME, "1"); } catch (e) { /* the draft is offered instead */ }
        editor.leaving = true;
        form.submit();
      });
    });
  });
}
