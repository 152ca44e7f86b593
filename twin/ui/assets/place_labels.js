/* Place names over the twin's maps, in the browser's own fonts (no glyphs fetched; see twin/ui/place_names.py).
 * Each Plotly map whose layout.meta carries place_labels gets an overlay inside MapLibre's container
 * (under Plotly's legend and hover layers). On every render that moved the map the labels are projected,
 * cities first; the points in meta.avoid (the incidents' markers) come before any label, so a name never
 * covers an incident: a label that would is moved above, below or beside its place, and one that fits
 * nowhere clear of the markers and of the labels already placed is hidden. County names only from
 * meta.county_zoom. */
(function () {
  "use strict";
  var PAD = 3;
  var MARKER = 9;  // half an incident marker (15 px across), and a pixel of air

  function mapOf(graph) {
    var full = graph._fullLayout;
    var sub = full && full.map && full.map._subplot;
    return sub && sub.map;
  }

  function build(state, labels) {
    state.layer.textContent = "";
    state.items = labels.map(function (label) {
      var el = document.createElement("div");
      el.className = "twin-place-label twin-place-" + label.level;
      el.textContent = label.name;
      el.setAttribute("data-level", label.level);
      state.layer.appendChild(el);
      return {label: label, el: el, w: 0, h: 0};
    });
  }

  function place(state) {
    var map = state.map, zoom = map.getZoom(), centre = map.getCenter();
    var canvas = map.getCanvas();
    // MapLibre renders many frames that do not move the map (while its data loads, on every hover):
    // the labels stay where they are unless the view, the canvas or the labels changed
    var view = [zoom, centre.lng, centre.lat, map.getBearing(), map.getPitch(), canvas.width, canvas.height,
                state.key].join();
    if (view === state.view) { return; }
    state.view = view;
    var width = canvas.clientWidth, height = canvas.clientHeight;
    var taken = state.avoid.map(function (point) {
      var q = map.project(point);
      return [q.x - MARKER, q.y - MARKER, q.x + MARKER, q.y + MARKER];
    });
    function clear(box) {
      return box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height && !taken.some(function (t) {
        return box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1];
      });
    }
    state.items.forEach(function (item) {
      var show = item.label.level === "city" || zoom >= state.countyZoom;
      var p = show && map.project([item.label.lon, item.label.lat]);
      if (show) {
        if (!item.w) { item.el.style.display = "block"; item.w = item.el.offsetWidth; item.h = item.el.offsetHeight; }
        // on its place; else just above, below, right or left of it (clear of a marker on the place itself)
        var up = item.h / 2 + MARKER + PAD, side = item.w / 2 + MARKER + PAD, box = null;
        [[0, 0], [0, -up], [0, up], [side, 0], [-side, 0]].some(function (shift) {
          var x = p.x + shift[0], y = p.y + shift[1];
          var tried = [x - item.w / 2 - PAD, y - item.h / 2 - PAD, x + item.w / 2 + PAD, y + item.h / 2 + PAD];
          if (clear(tried)) { box = tried; }
          return box !== null;
        });
        show = box !== null;
        if (show) { taken.push(box); item.el.style.transform = "translate(" + Math.round(box[0] + PAD) + "px," + Math.round(box[1] + PAD) + "px)"; }
      }
      item.el.style.display = show ? "block" : "none";
    });
  }

  function attach(graph) {
    var map = mapOf(graph);
    var meta = graph.layout && graph.layout.meta;
    if (!map || !meta || !meta.place_labels) { return; }
    var state = map.__twinPlaceLabels;
    if (!state) {
      var layer = document.createElement("div");
      layer.className = "twin-place-labels";
      map.getContainer().appendChild(layer);
      state = map.__twinPlaceLabels = {map: map, layer: layer, key: null, items: [], avoid: []};
      map.on("render", function () { place(state); });
    }
    var key = JSON.stringify([meta.place_labels, meta.avoid || []]);
    if (key !== state.key) {
      state.key = key;
      state.countyZoom = meta.county_zoom || 0;
      state.avoid = meta.avoid || [];
      build(state, meta.place_labels);
      place(state);
    }
  }

  function scan() {
    var graphs = document.querySelectorAll(".js-plotly-plot");
    for (var i = 0; i < graphs.length; i++) { attach(graphs[i]); }
  }

  window.setInterval(scan, 500);
})();
