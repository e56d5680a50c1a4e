/* Partnership Atlas: the new-proposal form's choice of the areas a proposal covers.
 *
 * Each container set offered has a fieldset ([data-area-set]) of ticks named "area". Only the fieldset of
 * the container set chosen above is shown; the others are hidden and disabled, so their ticks are not sent.
 * Typing in a fieldset's search box ([data-area-find]) shows only the areas whose name or code holds the
 * text; its count ([data-area-count]) says how many are ticked.
 */

var form = document.querySelector("form.new-proposal");
var select = form && form.querySelector("select[name=container_set]");

function showChosenSet() {
  form.querySelectorAll("[data-area-set]").forEach(function (fieldset) {
    var chosen = fieldset.getAttribute("data-area-set") === select.value;
    fieldset.hidden = !chosen;
    fieldset.disabled = !chosen;
  });
}

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

if (form && select) {
  form.querySelectorAll("[data-area-set]").forEach(function (fieldset) {
    var find = fieldset.querySelector("[data-area-find]");
    find.addEventListener("input", function () { filter(fieldset, find.value); });
    find.addEventListener("keydown", function (event) {  // Enter searches, it does not send the form
      if (event.key === "Enter") { event.preventDefault(); }
    });
    fieldset.addEventListener("change", function () { countTicked(fieldset); });
  });
  select.addEventListener("change", showChosenSet);
  showChosenSet();
}
