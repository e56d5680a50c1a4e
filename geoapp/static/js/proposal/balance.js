/* Whether each container's forum count can be met within the tolerance with whole blocks (balance.json), how
 * close the best split comes, and a button to use it. */

import { change } from "./edits.js";
import { getJSON } from "./server.js";
import { UNIT, UNITS, addForum, config, count, drawing, editable, isLocked, root, say } from "./state.js";
import { el, number, percent, plural } from "./text.js";

const balanceBox = document.getElementById("balance");
let balance = null;

export function loadBalance() {
  if (!balanceBox || !config.urls.balance) { return Promise.resolve(); }
  root.setAttribute("data-balance", "loading");
  return getJSON(config.urls.balance).then(function (found) {
    balance = found;
    showBalance();
    root.setAttribute("data-balance", "ready");
  }).catch(function (error) {
    balanceBox.textContent = "";
    balanceBox.appendChild(el("p", "Whether the forum count can be met was not worked out (" + error.message + ").", "rule-note"));
    root.setAttribute("data-balance", "failed");
  });
}

function showBalance() {
  balanceBox.textContent = "";
  var rows = (balance && balance.containers) || [];
  if (!rows.length) { return; }
  var tol = "±" + number(balance.tolerance * 100, 1) + "%";
  var unit = balance.block_unit || UNIT;
  var units = plural(unit);
  var cannot = rows.filter(function (c) { return !c.within; });
  balanceBox.appendChild(el("h3", "Can the forum count be met?"));
  var list = el("ul", null, "rules balance-list");
  if (!cannot.length) {
    var ok = el("li", null, "rule-pass");
    ok.appendChild(el("strong", "Yes: "));
    ok.appendChild(document.createTextNode("every " + (balance.container_unit || "area") + " can be split into its forums within " + tol +
      " of the ideal population using whole " + units + "."));
    list.appendChild(ok);
  }
  cannot.forEach(function (c) {
    var item = el("li", null, "rule-fail balance-fail");
    item.setAttribute("data-container", c.code);
    var how = c.exact ? "every split of its " + count(c.blocks, unit, units) + " into " + c.forums + " forums in one piece was tried"
      : "found by a heuristic search, not every split was tried: a closer one may exist";
    item.appendChild(el("strong", c.name + ": " + c.forums + (c.forums === 1 ? " forum" : " forums") + " within " + tol + " cannot be made from whole " + units + "."));
    item.appendChild(el("span", c.possible
      ? "The closest possible is " + percent(c.best_deviation) + " from the ideal (" + how + ")."
      : "Its " + units + " cannot make " + c.forums + " forums in one piece each.", "rule-message"));
    if (c.possible) { item.setAttribute("data-best", String(c.best_deviation)); }
    if (editable && c.possible && c.split && c.split.length) {
      var use = el("button", "Use this closest split", "button secondary balance-use");
      use.type = "button";
      use.appendChild(el("span", " for " + c.name, "visually-hidden"));
      use.addEventListener("click", function () { useSplit(c); });
      item.appendChild(use);
    }
    list.appendChild(item);
  });
  balanceBox.appendChild(list);
  if (cannot.length) {
    balanceBox.appendChild(el("p", "Widen the tolerance or change the number of forums in Settings, or accept the closest split.", "rule-note"));
  }
}

// put the blocks of a container into its forums as the closest split has them (one step to undo)
function useSplit(c) {
  var held = c.split.some(function (part) { return part.some(function (code) { return isLocked(drawing.assignment[code]); }); });
  var mine = drawing.order.filter(function (f) { return (drawing.forums[f] || {}).container === c.code; });
  if (held || mine.some(isLocked)) {
    say("A forum of " + c.name + " is locked: unlock it to use the closest split.");
    return;
  }
  change(function () {
    // the forums the APB's blocks are in now (or those placed in it), then new ones as needed
    var used = [];
    c.split.forEach(function (part) {
      part.forEach(function (code) {
        var f = drawing.assignment[code];
        if (f && used.indexOf(f) < 0 && mine.indexOf(f) < 0) { used.push(f); }
      });
    });
    var targets = mine.concat(used);
    c.split.forEach(function (part, i) {
      var forum = targets[i] || addForum(null, c.code);
      part.forEach(function (code) { drawing.assignment[code] = forum; });
    });
  });
  say(c.name + " is split as closely as whole " + UNITS + " allow (" + percent(c.best_deviation) + "): one step to undo.");
}
