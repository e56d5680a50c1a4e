/* A draft from an earlier visit offered back ("restore / discard"), or picked up at once when the page's own
 * form reloaded it. */

import { RESUME, flushDraft, showDraftStatus } from "./drafts.js";
import { changed } from "./edits.js";
import { addForum, config, count, drawing, editor, keyOf, root, say, snapshot } from "./state.js";
import { copy, timeText } from "./text.js";

// a draft from an earlier visit: offer it back, unless it holds nothing new
export function offerDraft(draft) {
  var offer = document.getElementById("draft-offer");
  if (!draft || !offer) { return; }
  if (keyOf(draft.assignment, draft.forums) === editor.savedKey) {  // nothing in it beyond the saved version
    editor.draftOffered = false;
    flushDraft(false);
    return;
  }
  var resume = false;
  try { resume = sessionStorage.getItem(RESUME) === "1"; sessionStorage.removeItem(RESUME); } catch (e) { resume = false; }
  if (resume && draft.base_version === editor.version) {  // this page's own form reloaded it: carry on drawing
    applyDraft(draft, "Your unsaved changes are still here: they were kept while the page reloaded.");
    return;
  }
  editor.draftOffered = true;
  var text = "You have unsaved changes from " + timeText(draft.saved_at) + ": " + count(draft.blocks || 0) + " in forums";
  text += draft.base_version === editor.version ? "." : ", made to version " + draft.base_version + ". Version " + editor.version +
    " has been saved since: if you restore them, saving will ask whether to overwrite it or save a copy.";
  document.getElementById("draft-offer-text").textContent = text;
  offer.hidden = false;
  root.setAttribute("data-draft-offered", "true");
  showDraftStatus();
}

function applyDraft(draft, message) {
  editor.undoStack.push(snapshot());
  editor.redoStack = [];
  drawing.assignment = copy(draft.assignment || {});
  drawing.forums = copy(draft.forums || {});
  drawing.order = [];
  Object.keys(drawing.forums).sort(function (a, b) { return a.localeCompare(b, "en", { numeric: true }); })
    .forEach(function (code) { drawing.order.push(code); });
  Object.keys(drawing.assignment).forEach(function (code) { addForum(drawing.assignment[code]); });
  if (drawing.order.indexOf(editor.current) < 0) { editor.current = drawing.order[0] || null; }
  if (draft.base_version !== editor.version) { editor.version = draft.base_version; root.setAttribute("data-version", String(editor.version)); }
  say(message);
  changed();
}

export function answerDraft(restoring) {
  var offer = document.getElementById("draft-offer");
  var draft = config.draft;
  editor.draftOffered = false;
  offer.hidden = true;
  root.removeAttribute("data-draft-offered");
  if (restoring) {
    applyDraft(draft, "Your unsaved changes from " + timeText(draft.saved_at) + " are restored.");
  } else {
    editor.draftKept = true;  // drop it on the server now (or keep the changes made meanwhile instead)
    flushDraft(false);
    say("The unsaved changes from " + timeText(draft.saved_at) + " are discarded.");
  }
  showDraftStatus();
  var focusTo = document.getElementById("proposal-status");
  if (focusTo) { focusTo.setAttribute("tabindex", "-1"); focusTo.focus({ preventScroll: true }); }
}
