/* Words and numbers for the proposal editor: elements holding text, plurals, figures, times, and a canonical
 * form of the drawing to tell whether it is saved. */

export function el(tag, text, className) {
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) { node.textContent = String(text); }
  if (className) { node.className = className; }
  return node;
}

export function plural(word) { return /(s|x|z|ch|sh)$/i.test(word) ? word + "es" : word + "s"; }

export function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }

export function number(value, digits) {
  if (value === null || value === undefined) { return "–"; }
  return Number(value).toLocaleString("en-GB", { minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 0 });
}

export function percent(value) { return number(value * 100, 1) + "%"; }

export function timeText(iso) {
  var when = new Date(iso);
  if (isNaN(when.getTime())) { return iso; }
  var today = new Date();
  var clock = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
  return when.toDateString() === today.toDateString() ? clock + " today"
    : clock + " on " + when.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric" });
}

export function canonical(value) {
  if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
  }
  return JSON.stringify(value === undefined ? null : value);
}

export function copy(value) { return JSON.parse(JSON.stringify(value)); }
