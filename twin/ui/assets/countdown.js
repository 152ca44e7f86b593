/* Live countdowns to deadlines, ticking in the browser between the page's refreshes (twin/ui/board.py).
 * A countdown is an empty <span class="twin-countdown" data-deadline="ISO"> rendered by Dash; this script
 * writes its text (React renders no children there, so it never fights React over them). Time is the
 * twin's: the element with data-twin-clock carries the twin's clock at its last refresh, and the script
 * counts on from it with the browser's clock, re-synchronising whenever that attribute changes. */
(function () {
  "use strict";
  var SOON_MS = 5 * 60 * 1000;
  var offset = 0, lastClock = null, queued = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), x = s % 60;
    return (ms < 0 ? "−" : "") + (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(x);
  }

  function sync() {
    var holder = document.querySelector("[data-twin-clock]");
    var clock = holder && holder.getAttribute("data-twin-clock");
    if (clock && clock !== lastClock) {
      lastClock = clock;
      offset = Date.parse(clock) - Date.now();
    }
  }

  function tick() {
    queued = false;
    sync();
    var now = Date.now() + offset;
    var spans = document.querySelectorAll(".twin-countdown[data-deadline]");
    for (var i = 0; i < spans.length; i++) {
      var left = Date.parse(spans[i].getAttribute("data-deadline")) - now;
      var shown = format(left);
      if (spans[i].textContent !== shown) { spans[i].textContent = shown; }
      spans[i].setAttribute("data-left-s", String(Math.round(left / 1000)));
      spans[i].classList.toggle("overdue", left < 0);
      spans[i].classList.toggle("soon", left >= 0 && left < SOON_MS);
    }
  }

  function soon() {
    if (!queued) { queued = true; window.requestAnimationFrame(tick); }
  }

  window.setInterval(tick, 250);
  document.addEventListener("DOMContentLoaded", function () {
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        if (records[i].type === "childList" && records[i].addedNodes.length) { soon(); return; }
        if (records[i].type === "attributes") { soon(); return; }
      }
    }).observe(document.body, {childList: true, subtree: true, attributes: true,
                               attributeFilter: ["data-deadline", "data-twin-clock"]});
  });
})();
