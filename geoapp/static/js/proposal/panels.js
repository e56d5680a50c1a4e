/* Beside and below the map: the forum picker with live figures, the statistics and rules of the last check,
 * the list of blocks (the keyboard alternative to the map), the count of blocks in no forum and the version
 * line. */

import { restyle } from "./map.js";
import {
  UNIT, UNITS, blocks, config, containers, count, drawing, editable, editor, forumLabel, isLocked, tolerance
} from "./state.js";
import { el, number } from "./text.js";

const forumList = document.getElementById("forum-list");
const rulesList = document.getElementById("rules");
const statsBody = document.querySelector("#statistics tbody");
const wardBody = document.querySelector("#ward-list tbody");
const versionLine = document.getElementById("proposal-version");
const unassignedLine = document.getElementById("unassigned-count");
const FIXED_COLUMNS = 8;  // forum, APB, wards, councillors, population, deviation, area, Polsby-Popper
// what a forum's lock button and a block's choice in the list do (edits.js, set by main.js)
export const handlers = { toggleLock: null, assign: null };
let lastReport = null;    // the latest statistics and rules from check.json

export function renderForums(figuresOnly) {
  // the list is redrawn on every change: keep the keyboard focus on the same control
  var focused = document.activeElement && forumList.contains(document.activeElement)
    ? document.activeElement.getAttribute("data-focus") : null;
  forumList.textContent = "";
  var figures = {};
  ((lastReport && lastReport.forums) || []).forEach(function (f) { figures[f.code] = f; });
  var grouped = drawing.order.some(function (code) { return (drawing.forums[code] || {}).container; });
  var shownGroup = null;
  drawing.order.slice().sort(function (a, b) {
    if (!grouped) { return 0; }
    var x = containers[(drawing.forums[a] || {}).container] || "\uffff", y = containers[(drawing.forums[b] || {}).container] || "\uffff";
    return x.localeCompare(y) || drawing.order.indexOf(a) - drawing.order.indexOf(b);
  }).forEach(function (code) {
    var container = (drawing.forums[code] || {}).container;
    if (grouped && container !== shownGroup) {
      shownGroup = container;
      forumList.appendChild(el("p", container ? (containers[container] || container) : "Not placed in any " +
        (config.container_unit || "area"), "forum-group"));
    }
    var locked = isLocked(code);
    var row = el("div", null, "forum-row" + (locked ? " is-locked" : ""));
    var label = el("label", null, "forum-choice");
    var radio = el("input");
    radio.type = "radio";
    radio.name = "current-forum";
    radio.value = code;
    radio.checked = code === editor.current;
    radio.setAttribute("data-focus", "choose:" + code);
    radio.addEventListener("change", function () { if (radio.checked) { choose(code); } });
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = drawing.forums[code].colour || "#ccc";
    var n = Object.keys(drawing.assignment).filter(function (b) { return drawing.assignment[b] === code; }).length;
    label.appendChild(radio);
    label.appendChild(swatch);
    label.appendChild(el("span", forumLabel(code), "forum-name"));
    label.appendChild(el("span", count(n), "forum-count"));
    label.appendChild(forumFigures(figures[code], n));
    row.appendChild(label);
    if (editable) {
      var lock = el("button", null, "forum-lock");
      lock.type = "button";
      lock.appendChild(el("span", null, "lock-icon")).setAttribute("aria-hidden", "true");
      lock.appendChild(document.createTextNode("Lock"));
      lock.setAttribute("aria-pressed", locked ? "true" : "false");
      lock.setAttribute("aria-label", "Lock " + forumLabel(code));
      lock.setAttribute("data-focus", "lock:" + code);
      lock.setAttribute("data-forum", code);
      lock.title = locked ? "Locked: its " + UNITS + " cannot be changed. Press to unlock."
        : "Lock this forum when it is finished, so that its " + UNITS + " cannot be changed by mistake.";
      lock.addEventListener("click", function () { handlers.toggleLock(code); });
      row.appendChild(lock);
    } else if (locked) {
      row.appendChild(el("span", "Locked", "forum-locked"));
    }
    forumList.appendChild(row);
  });
  if (focused) {
    var again = forumList.querySelector('[data-focus="' + CSS.escape(focused) + '"]');
    if (again) { again.focus(); }
  }
  if (editable) {
    var name = document.getElementById("forum-name");
    var colour = document.getElementById("forum-colour");
    var forum = drawing.forums[editor.current] || {};
    if (document.activeElement !== name) { name.value = forum.name || ""; }  // not under someone typing
    if (document.activeElement !== colour) { colour.value = forum.colour || "#cccccc"; }
    name.disabled = colour.disabled = !editor.current;
  }
  if (!figuresOnly) { renderWardOptions(); }  // new figures alone leave the list of wards (and any open choice) be
}

// one line of live figures under a forum's name: blocks, people, and how far from the ideal
function forumFigures(figure, n) {
  var line = el("span", null, "forum-figures");
  if (figure && n) {
    if (figure.population !== null && figure.population !== undefined) {
      line.appendChild(el("span", number(figure.population) + " people", "forum-population"));
    }
    if (figure.deviation !== null && figure.deviation !== undefined) {
      var outside = figure.within_tolerance === false;
      var dev = el("span", (figure.deviation > 0 ? "+" : "") + number(figure.deviation * 100, 1) + "%" +
        (outside ? " (outside ±" + number(tolerance() * 100, 1) + "%)" : ""), "forum-deviation" + (outside ? " out-of-tolerance" : ""));
      dev.setAttribute("data-deviation", String(figure.deviation));
      line.appendChild(dev);
    }
  }
  return line;
}

export function choose(code) {
  editor.current = code;
  renderForums();
}

export function updateUnassigned() {
  if (!unassignedLine || !editor.loaded) { return; }
  var n = Object.keys(blocks).filter(function (code) { return !drawing.assignment[code]; }).length;
  unassignedLine.textContent = n ? count(n) + " in no forum (hatched grey)" : "Every " + UNIT + " is in a forum";
  unassignedLine.setAttribute("data-count", String(n));
}

function renderWardOptions() {
  Object.keys(blocks).forEach(function (code) {
    var select = blocks[code].select;
    if (!select) { return; }
    select.textContent = "";
    var own = drawing.assignment[code] || "";
    var none = el("option", "No forum");
    none.value = "";
    select.appendChild(none);
    drawing.order.forEach(function (forum) {
      var locked = isLocked(forum);
      var option = el("option", forumLabel(forum) + (locked ? " (locked)" : ""));
      option.value = forum;
      option.disabled = locked && forum !== own;
      select.appendChild(option);
    });
    select.value = own;
    var held = isLocked(own);
    select.disabled = !editable || held;
    if (blocks[code].lockNote) { blocks[code].lockNote.hidden = !(editable && held); }
  });
}

export function renderWardList() {
  wardBody.textContent = "";
  var codes = Object.keys(blocks).sort(function (a, b) {
    var x = blocks[a], y = blocks[b];
    return (x.containerName || "").localeCompare(y.containerName || "") || x.name.localeCompare(y.name);
  });
  codes.forEach(function (code) {
    var block = blocks[code];
    var row = el("tr");
    row.appendChild(el("th", block.name)).setAttribute("scope", "row");
    row.appendChild(el("td", code));
    row.appendChild(el("td", block.containerName || ""));
    var cell = el("td");
    var select = el("select");
    select.setAttribute("aria-label", "Forum for " + block.name);
    select.disabled = !editable;
    select.addEventListener("change", function () { handlers.assign(code, select.value || null); });
    cell.appendChild(select);
    block.lockNote = el("span", " Its forum is locked", "lock-note");
    block.lockNote.hidden = true;
    cell.appendChild(block.lockNote);
    row.appendChild(cell);
    block.select = select;
    wardBody.appendChild(row);
  });
  renderWardOptions();
}

function indicatorText(value, unit) {
  if (value === null || value === undefined) { return "–"; }
  return unit === "share" ? number(value * 100, 1) + "%" : number(value, 1);
}

function showIndicatorHeads(indicators) {
  var head = document.getElementById("statistics-head");
  while (head.children.length > FIXED_COLUMNS) { head.removeChild(head.lastChild); }
  indicators.forEach(function (m) {
    var cell = el("th", m.label, "num");
    cell.setAttribute("scope", "col");
    head.appendChild(cell);
  });
}

export function showCheck(report) {
  lastReport = report;
  renderForums(true);
  var indicators = report.indicators || [];
  showIndicatorHeads(indicators);
  statsBody.textContent = "";
  (report.forums || []).forEach(function (forum) {
    var row = el("tr");
    var head = el("th");
    head.setAttribute("scope", "row");
    var swatch = el("span", null, "swatch");
    swatch.style.backgroundColor = (drawing.forums[forum.code] || {}).colour || "#ccc";
    head.appendChild(swatch);
    head.appendChild(el("span", forumLabel(forum.code)));
    row.appendChild(head);
    row.appendChild(el("td", forum.container_name || forum.container || "–"));
    row.appendChild(el("td", number(forum.block_count), "num"));
    row.appendChild(el("td", forum.councillors === null ? "not known" : number(forum.councillors), "num"));
    row.appendChild(el("td", number(forum.population), "num"));
    var deviation = forum.deviation === null || forum.deviation === undefined ? "–"
      : (forum.deviation > 0 ? "+" : "") + number(forum.deviation * 100, 1) + "%";
    row.appendChild(el("td", deviation, "num" + (forum.within_tolerance === false ? " out-of-tolerance" : "")));
    row.appendChild(el("td", number(forum.area_km2, 1), "num"));
    row.appendChild(el("td", number(forum.polsby_popper, 2), "num"));
    indicators.forEach(function (m) {
      row.appendChild(el("td", indicatorText((forum.indicators || {})[m.id], m.unit), "num"));
    });
    statsBody.appendChild(row);
  });
  if (!(report.forums || []).length) {
    var empty = el("tr");
    var cell = el("td", "No " + (config.block_unit || "ward") + " is in a forum yet.");
    cell.colSpan = FIXED_COLUMNS + indicators.length;
    empty.appendChild(cell);
    statsBody.appendChild(empty);
  }
  rulesList.textContent = "";
  editor.flagged = {};
  (report.rules || []).forEach(function (rule) {
    var item = el("li", null, rule.passed ? "rule-pass" : "rule-fail");
    item.setAttribute("data-rule", rule.rule);
    item.appendChild(el("strong", (rule.passed ? "Pass: " : "Fail: ") + rule.title));
    item.appendChild(el("span", rule.message, "rule-message"));
    rulesList.appendChild(item);
    // wards in no forum are already hatched: outline the wards the other failing rules name
    if (!rule.passed && rule.rule !== "complete") {
      (rule.blocks || []).forEach(function (code) { editor.flagged[code] = true; });
    }
  });
  (report.notes || []).forEach(function (note) { rulesList.appendChild(el("li", note, "rule-note")); });
  restyle();
}

export function showVersion(text) { versionLine.textContent = text; }
