/* Plotly's bundle (served by the twin, like every script) fetched and run while the page waits for its
 * layout, instead of after it: Dash's graphs load it only once the layout has arrived, and running its
 * 4.8 MB then held the first map back by a second on a 2-core machine. Dash's graph takes window.Plotly
 * as it is, or waits on it when it is a promise; the bundle itself sets window.Plotly when it has run.
 * The bundle is Plotly's map bundle (the only trace types the twin draws, twin/ui/plotly_bundle.py) when
 * the page's <meta name="twin-plotly-bundle"> names it, else the full one Dash serves. It is fetched from
 * the moment this script runs (a preload) and run once the page's own scripts have.
 * The situation board draws no graph and loads nothing. */
(function () {
  if (window.Plotly || /\/board$/.test(window.location.pathname)) {
    return;
  }
  var here = document.currentScript && document.currentScript.src;
  if (!here) {
    return;
  }
  var named = document.querySelector('meta[name="twin-plotly-bundle"]');
  var bundle = (named && named.getAttribute('content')) || '_dash-component-suites/plotly/package_data/plotly.min.js';
  var src = here.replace(/assets\/plotly_early\.js.*$/, bundle);  // the app's root, wherever it is mounted
  var early = document.createElement('link');  // fetched now, while the page's other scripts run
  early.rel = 'preload';
  early.as = 'script';
  early.href = src;
  document.head.appendChild(early);
  window.Plotly = new Promise(function (resolve, reject) {
    function load() {  // run after the page's own scripts: Dash has asked for the layout by then
      var script = document.createElement('script');
      script.src = src;
      script.async = true;
      script.onload = function () { resolve(); };
      script.onerror = reject;
      document.head.appendChild(script);
    }
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', load);
    } else {
      load();
    }
  });
})();
