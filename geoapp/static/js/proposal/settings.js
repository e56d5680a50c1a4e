/* The settings form, saved without leaving the page: the rules are checked again under the new settings. */

import { loadBalance } from "./balance.js";
import { check } from "./edits.js";
import { post } from "./server.js";
import { config, dirty, editor, root } from "./state.js";

export function wireSettings() {
  var form = document.getElementById("settings-form");
  if (!form) { return; }
  var line = document.getElementById("settings-status");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var wanted = form.elements.forums_per_container.value.trim();
    var tol = form.elements.tolerance.value.trim();
    var settings = { indicators: Array.prototype.map.call(form.querySelectorAll('input[name="indicators"]:checked'),
      function (box) { return box.value; }) };
    if (wanted && !/^[0-9]+$/.test(wanted)) {
      line.textContent = "The number of forums must be a whole number, or blank for no fixed number.";
      line.className = "settings-status settings-error";
      return;
    }
    settings.forums_per_container = wanted ? parseInt(wanted, 10) : null;
    if (tol) {
      if (isNaN(Number(tol))) {
        line.textContent = "The population tolerance must be a number of per cent, such as 5.";
        line.className = "settings-status settings-error";
        return;
      }
      settings.tolerance = Number(tol) / 100;
    }
    line.className = "settings-status";
    line.textContent = "Saving the settings…";
    root.setAttribute("data-settings-saving", "true");
    post(config.urls.update, { settings: settings }).then(function (answer) {
      root.removeAttribute("data-settings-saving");
      if (answer.status !== 200) {
        line.className = "settings-status settings-error";
        line.textContent = "The settings were not saved: " + (answer.data.description || "the server answered " + answer.status) +
          " Your drawing is unchanged.";
        return;
      }
      var saved = answer.data.settings || {};
      config.forums_per_container = saved.forums_per_container;
      config.tolerance = saved.tolerance;
      line.textContent = "Settings saved. Your drawing is unchanged" + (dirty() ? " (and still not saved as a version)." : ".");
      editor.changes += 1;  // the rules depend on the settings: check again
      root.setAttribute("data-changes", String(editor.changes));
      check();
      loadBalance();
    }).catch(function (error) {
      root.removeAttribute("data-settings-saving");
      line.className = "settings-status settings-error";
      line.textContent = "The settings were not saved (" + error.message + "). Your drawing is unchanged.";
    });
  });
}
