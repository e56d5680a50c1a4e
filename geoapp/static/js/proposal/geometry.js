/* A point inside a block, its "centre" for the Box tool: the GeoJSON's label point when it gives one, or one
 * worked out from the block's rings. */

// a point inside the block (the label point when the GeoJSON gives one): its "centre" for the Box tool
function ringArea(ring) {
  var sum = 0;
  for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    sum += ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
  }
  return sum / 2;
}

function ringCentroid(ring) {
  var area = ringArea(ring), x = 0, y = 0;
  if (!area) { return ring[0]; }
  for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    x += (ring[j][0] + ring[i][0]) * f;
    y += (ring[j][1] + ring[i][1]) * f;
  }
  return [x / (6 * area), y / (6 * area)];
}

function insidePolygon(point, rings) {
  var inside = false;
  rings.forEach(function (ring) {
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      if ((ring[i][1] > point[1]) !== (ring[j][1] > point[1]) &&
          point[0] < (ring[j][0] - ring[i][0]) * (point[1] - ring[i][1]) / (ring[j][1] - ring[i][1]) + ring[i][0]) {
        inside = !inside;
      }
    }
  });
  return inside;
}

export function insidePoint(feature) {
  var label = feature.properties.label;
  if (label) { return L.latLng(label[1], label[0]); }
  var geometry = feature.geometry || {};
  var polygons = geometry.type === "Polygon" ? [geometry.coordinates]
    : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  if (!polygons.length) { return null; }
  var rings = polygons.slice().sort(function (a, b) { return Math.abs(ringArea(b[0])) - Math.abs(ringArea(a[0])); })[0];
  var centre = ringCentroid(rings[0]);
  if (!insidePolygon(centre, rings)) {
    // the middle of the widest stretch of the polygon along the centre's latitude
    var xs = [];
    rings.forEach(function (ring) {
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
        var a = ring[j], b = ring[i];
        if ((a[1] > centre[1]) !== (b[1] > centre[1])) { xs.push(a[0] + (centre[1] - a[1]) * (b[0] - a[0]) / (b[1] - a[1])); }
      }
    });
    xs.sort(function (a, b) { return a - b; });
    var widest = -1;
    for (var k = 0; k + 1 < xs.length; k += 2) {
      if (xs[k + 1] - xs[k] > widest) { widest = xs[k + 1] - xs[k]; centre = [(xs[k] + xs[k + 1]) / 2, centre[1]]; }
    }
  }
  return L.latLng(centre[1], centre[0]);
}
