/* Saving a version (or, after a conflict, a copy), then the versions, downloads and adoption panels redrawn
 * as the server now renders them. */

import { scheduleDraft, showDraftStatus, stopDraftTimer, wireLeaving } from "./drafts.js";
import { showVersion } from "./panels.js";
import { post } from "./server.js";
import { config, dirty, drawing, editor, keyOf, root, say } from "./state.js";
import { copy, el } from "./text.js";

export function save(event) {
  event.preventDefault();
  var note = document.getElementById("save-note");
  var conflict = document.getElementById("save-conflict");
  conflict.hidden = true;
  say("Saving…");
  var sent = { assignment: copy(drawing.assignment), forums: copy(drawing.forums) };
  post(config.urls.save, { assignment: sent.assignment, forums: sent.forums, note: note.value,
    expected_version: editor.version, keep_draft: editor.draftOffered }).then(function (answer) {
    if (answer.status === 201) {
      editor.version = answer.data.number;
      root.setAttribute("data-version", String(editor.version));
      editor.savedKey = keyOf(sent.assignment, sent.forums);
      editor.draftKept = editor.draftOffered;  // the server dropped the draft with the save, unless one is on offer
      stopDraftTimer();
      if (dirty()) { scheduleDraft(); }  // changed again while the save was on its way
      // the server-rendered restore forms must now start from the version just saved
      document.querySelectorAll('.restore-form input[name="expected_version"]').forEach(function (input) {
        input.value = String(editor.version);
      });
      note.value = "";
      showVersion("Version " + editor.version + ", saved by " + (answer.data.saved_by || "you") + ".");
      say("Saved as version " + editor.version + ".");
      showDraftStatus();
      refreshPanels();
    } else if (answer.status === 409) {
      document.getElementById("conflict-message").textContent = answer.data.description || "Someone has saved since.";
      var details = document.getElementById("conflict-details");
      details.textContent = "";
      (answer.data.details || []).forEach(function (line) { details.appendChild(el("li", line)); });
      conflict.hidden = false;
      conflict.setAttribute("data-save-as-copy", answer.data.save_as_copy || config.urls.duplicate);
      say("Not saved: someone else has saved since.");
    } else {
      say("Not saved: " + (answer.data.description || ("the server answered " + answer.status)));
    }
  }).catch(function (error) { say("Not saved (" + error.message + ")."); });
}

export function saveAsCopy() {
  var conflict = document.getElementById("save-conflict");
  var url = conflict.getAttribute("data-save-as-copy") || config.urls.duplicate;
  post(url, { assignment: drawing.assignment, forums: drawing.forums,
    note: document.getElementById("save-note").value }).then(function (answer) {
    if (answer.status === 201) {
      // the changes are saved in the copy: no draft of them stays on this proposal, and no warning on leaving
      editor.leaving = true;
      stopDraftTimer();
      var go = function () { window.location.assign(config.urls.index + answer.data.id); };
      post(config.urls.discard, {}).then(go, go);
    } else {
      say("The copy was not saved: " + (answer.data.description || answer.status));
    }
  });
}

// after a save: the versions, downloads and adoption panels as the server now renders them
function refreshPanels() {
  root.setAttribute("data-refreshing", "true");
  return fetch(config.urls.editor, { credentials: "same-origin", headers: { "Accept": "text/html" } })
    .then(function (r) { if (!r.ok) { throw new Error("the page answered " + r.status); } return r.text(); })
    .then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html");
      document.querySelectorAll("[data-refresh][id]").forEach(function (old) {
        var found = fresh.getElementById(old.id);
        if (found) { old.replaceWith(document.importNode(found, true)); }
      });
      wireLeaving();
      root.setAttribute("data-panels-version", String(editor.version));
    }).catch(function (error) {
      say("Saved as version " + editor.version + "; reload the page to see it in the list of versions (" + error.message + ").");
    }).then(function () { root.removeAttribute("data-refreshing"); });
}
