// Two clocks: counts down the cookie's Max-Age and the Redis TTL as rendered,
// without reloading. Without JavaScript the numbers simply stay as rendered.
(function () {
  "use strict";
  var clocks = Array.prototype.slice.call(document.querySelectorAll(".countdown[data-remaining-ms]"));
  if (clocks.length === 0) return;
  var started = performance.now();
  var note = document.getElementById("expired-note");

  function tick() {
    var elapsed = performance.now() - started;
    var allExpired = true;
    clocks.forEach(function (clock) {
      var left = Math.max(0, Number(clock.dataset.remainingMs) - elapsed);
      clock.textContent = (left / 1000).toFixed(1);
      if (left > 0) {
        allExpired = false;
      } else {
        clock.classList.add("expired");
      }
    });
    if (allExpired) {
      if (note) note.hidden = false;
      return;
    }
    window.setTimeout(tick, 100);
  }
  tick();
})();
