/* Plotly's bundle (served by the twin, like every script) fetched and run while the page waits for its
 * layout, instead of after it: Dash's graphs load it only once the layout has arrived, and running its
 * 4.8 MB then held the first map back by a second on a 2-core machine. Dash's graph takes window.Plotly
 * as it is, or waits on it when it is a promise; the bundle itself sets window.Plotly when it has run.
 * The situation board draws no graph and loads nothing. */
(function () {
  if (window.Plotly || /\/board$/.test(window.location.pathname)) {
    return;
  }
  var here = document.currentScript && document.currentScript.src;
  if (!here) {
    return;
  }
  var src = here.replace(/assets\/plotly_early\.js.*$/, '_dash-component-suites/plotly/package_data/plotly.min.js');
  window.Plotly = new Promise(function (resolve, reject) {
    function load() {  // after the page's own scripts: Dash has asked for the layout by then
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
