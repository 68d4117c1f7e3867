// Message centre: keep the newest message in view as htmx polling appends it.
(function () {
  "use strict";
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var thread = document.getElementById("thread");
    if (thread && !window.location.hash && !window.location.search) {
      var last = thread.querySelector(".msg:last-of-type");
      if (last) last.scrollIntoView({ block: "end" });
    }
  });
  var wasNearBottom = true;
  document.addEventListener("htmx:beforeSwap", function () { wasNearBottom = nearBottom(); });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target && event.target.id === "poller" && wasNearBottom) {
      var thread = document.getElementById("thread");
      var last = thread && thread.querySelector(".msg:last-of-type");
      if (last) last.scrollIntoView({ block: "end", behavior: "smooth" });
    }
  });
})();
