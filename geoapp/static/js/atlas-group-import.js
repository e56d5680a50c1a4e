// The column mapping page: show examples of the column a field is matched to, as soon as it is chosen.
(function () {
  "use strict";
  function start() {
    var table = document.getElementById("mapping");
    if (!table) { return; }
    var samples = JSON.parse(table.getAttribute("data-samples") || "{}");
    table.querySelectorAll("select[data-examples]").forEach(function (select) {
      select.addEventListener("change", function () {
        var cell = document.getElementById(select.getAttribute("data-examples"));
        if (!cell) { return; }
        var values = samples[select.value];
        cell.textContent = !select.value ? "" : (values && values.length ? values.join(" · ") : "(blank in every row)");
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
