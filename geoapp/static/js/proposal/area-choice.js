/* Partnership Atlas: the choice of the areas a proposal covers, on the new-proposal form and in the editor.
 *
 * Each container set offered has a fieldset ([data-area-set]) of ticks named "area". On the new-proposal form
 * only the fieldset of the container set chosen above is shown; the others are hidden and disabled, so their
 * ticks are not sent. Typing in a fieldset's search box ([data-area-find]) shows only the areas whose name or
 * code holds the text; its count ([data-area-count]) says how many are ticked.
 */

function countTicked(fieldset) {
  var boxes = fieldset.querySelectorAll("input[name=area]");
  var ticked = fieldset.querySelectorAll("input[name=area]:checked").length;
  fieldset.querySelector("[data-area-count]").textContent = ticked
    ? ticked + " of " + boxes.length + " ticked" : "None ticked: all " + boxes.length;
}

function filter(fieldset, text) {
  var wanted = text.trim().toLowerCase();
  fieldset.querySelectorAll("li").forEach(function (item) {
    item.hidden = wanted !== "" && item.textContent.toLowerCase().indexOf(wanted) < 0;
  });
}

document.querySelectorAll("[data-area-set]").forEach(function (fieldset) {
  var find = fieldset.querySelector("[data-area-find]");
  find.addEventListener("input", function () { filter(fieldset, find.value); });
  find.addEventListener("keydown", function (event) {  // Enter searches, it does not send the form
    if (event.key === "Enter") { event.preventDefault(); }
  });
  fieldset.addEventListener("change", function () { countTicked(fieldset); });
});

var form = document.querySelector("form.new-proposal");
var select = form && form.querySelector("select[name=container_set]");

function showChosenSet() {
  form.querySelectorAll("[data-area-set]").forEach(function (fieldset) {
    var chosen = fieldset.getAttribute("data-area-set") === select.value;
    fieldset.hidden = !chosen;
    fieldset.disabled = !chosen;
  });
}

if (select) {
  select.addEventListener("change", showChosenSet);
  showChosenSet();
}
