/* Tells the twin when a map has first drawn: a Plotly map whose layout.meta names a `drawn_signal` (a
 * dcc.Store's id) sets that store once its MapLibre map has drawn its areas. The command page draws its base map
 * (counties, incidents) first and lays the officers, routes and units over it on that signal, so the
 * second figure never holds the first one back (see twin/ui/app.py, `page` and `on_map_drawn`). */
(function () {
  "use strict";

  function mapOf(graph) {
    var full = graph._fullLayout;
    var sub = full && full.map && full.map._subplot;
    return sub && sub.map;
  }

  function filled(map) {
    var fills = map.getStyle().layers.filter(function (l) { return l.type === "fill"; })
      .map(function (l) { return l.id; });
    return fills.length > 0 && map.queryRenderedFeatures({layers: fills}).length > 0;
  }

  function signal(graph, store) {
    if (graph.__twinDrawnSignalled === store) { return; }
    graph.__twinDrawnSignalled = store;
    window.dash_clientside.set_props(store, {data: Date.now()});
  }

  function watch(graph) {
    var meta = graph.layout && graph.layout.meta;
    var store = meta && meta.drawn_signal;
    var map = mapOf(graph);
    if (!store || !map || graph.__twinDrawnSignalled === store || !window.dash_clientside
        || !window.dash_clientside.set_props) { return; }
    if (graph.__twinDrawnWaiting !== map) {
      graph.__twinDrawnWaiting = map;
      var drawn = function () {  // "idle": every tile loaded and the frame drawn; the first ones come before
        if (!filled(map)) { return; }  // Plotly has added its layers, so wait for one with features on screen
        map.off("idle", drawn);
        signal(graph, store);
      };
      map.on("idle", drawn);
      map.triggerRepaint();  // a map already idle draws once more, and says so
    }
  }

  function scan() {
    var graphs = document.querySelectorAll(".js-plotly-plot");
    for (var i = 0; i < graphs.length; i++) { watch(graphs[i]); }
  }

  window.setInterval(scan, 200);
})();
