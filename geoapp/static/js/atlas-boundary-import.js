// The boundary import form: ask which service only when the kind is "Service area" (required then);
// for any other kind the question is hidden and not sent. Without JavaScript it is always shown.
(function () {
  "use strict";
  function start() {
    var kind = document.getElementById("kind");
    var field = document.getElementById("service-type-field");
    var select = document.getElementById("service_type");
    if (!kind || !field || !select) { return; }
    var refused = field.classList.contains("field-error");  // keep a refused answer in sight to change it
    function update() {
      var service = kind.value === "service";
      field.hidden = !service && !refused;
      select.disabled = !service && !refused;
      select.required = service;
    }
    kind.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
