// A small map of where a photo was taken, drawn offline: Natural Earth's land
// (world-atlas, 1:110m) in an equirectangular window around the point, as SVG.
// No tiles and no network: the page must work on a machine without internet.

import "/static/vendor/topojson-client.min.js"; // a UMD bundle: defines self.topojson

const WIDTH = 320;
const HEIGHT = 180;
const SPAN = 48; // degrees of longitude across the window (latitude follows the aspect ratio)
const SVG = "http://www.w3.org/2000/svg";

let loading = null; // the land's rings, fetched once
async function rings() {
  if (!loading) {
    loading = fetch("/static/vendor/land-110m.json")
      .then((response) => response.json())
      .then((topology) => {
        const { geometry, features } = self.topojson.feature(topology, topology.objects.land);
        const shapes = features ? features.map((f) => f.geometry) : [geometry];
        return shapes.flatMap((g) => (g.type === "Polygon" ? [g.coordinates] : g.coordinates)).flat();
      });
  }
  return loading;
}

// A ring's outline; a ring that crosses the antimeridian is unwrapped (its
// longitudes continue past ±180) so that no edge spans the whole world.
function path(ring, project) {
  let shift = 0;
  let previous = ring[0][0];
  return ring.map(([lon, lat], i) => {
    if (lon + shift - previous > 180) shift -= 360;
    else if (lon + shift - previous < -180) shift += 360;
    previous = lon + shift;
    return `${i ? "L" : "M"}${project(previous, lat).join(",")}`;
  }).join("") + "Z";
}

// An <svg> with the land around (lat, lon) and a marker on it.
export async function locationMap(lat, lon) {
  const spanLat = (SPAN * HEIGHT) / WIDTH;
  const top = Math.min(90, Math.max(-90 + spanLat, lat + spanLat / 2));
  const left = lon - SPAN / 2;
  const scale = WIDTH / SPAN;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("class", "map");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Map: ${lat.toFixed(3)}, ${lon.toFixed(3)}`);
  const sea = document.createElementNS(SVG, "rect");
  sea.setAttribute("width", WIDTH);
  sea.setAttribute("height", HEIGHT);
  sea.setAttribute("class", "sea");
  svg.append(sea);
  // The land three times over, a world apart, so a window across the antimeridian is full.
  const shapes = document.createElementNS(SVG, "path");
  const land = await rings();
  const parts = [];
  for (const shift of [-360, 0, 360]) {
    const project = (x, y) => [((x + shift - left) * scale).toFixed(1), ((top - y) * scale).toFixed(1)];
    for (const ring of land) parts.push(path(ring, project));
  }
  shapes.setAttribute("d", parts.join(""));
  shapes.setAttribute("class", "land");
  const marker = document.createElementNS(SVG, "circle");
  marker.setAttribute("cx", ((lon - left) * scale).toFixed(1));
  marker.setAttribute("cy", ((top - lat) * scale).toFixed(1));
  marker.setAttribute("r", "5");
  marker.setAttribute("class", "marker");
  svg.append(shapes, marker);
  return svg;
}
