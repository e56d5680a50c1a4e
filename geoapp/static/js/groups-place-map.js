/* The editors' small map of where a group is: its point over the borough's outline, the point red when it
   lies outside. The words beside the map say the same (and the warning), so the map only shows it. */
(function () {
  "use strict";

  function draw(holder) {
    if (typeof L === "undefined" || !window.Atlas) { return; }
    var config = JSON.parse(holder.getAttribute("data-group-place-map"));
    if (!config.point) { return; }
    holder.hidden = false;
    var map = L.map(holder, { zoomControl: true, keyboard: true, scrollWheelZoom: false });
    Atlas.addBasemap(map, config);
    var point = L.latLng(config.point);
    L.circleMarker(point, {
      radius: 8, color: "#0b0c0c", weight: 2, fillOpacity: 0.9, fillColor: config.outside ? "#d4351c" : "#1d70b8"
    }).bindTooltip(config.outside ? "The group: outside the borough" : "The group").addTo(map);
    map.setView(point, 13);
    if (!config.outline) { return; }
    Atlas.getJSON(config.outline, { accept: "application/geo+json" }).then(function (data) {
      var outline = L.geoJSON(data, { interactive: false, style: { color: "#0b0c0c", weight: 2, fill: false } });
      outline.addTo(map);
      // clear of the zoom buttons at the top left
      map.fitBounds(outline.getBounds().extend(point),
        { paddingTopLeft: [48, 12], paddingBottomRight: [12, 12], animate: false });
    }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-group-place-map]").forEach(draw);
  });
}());
