// Agent console: SLA countdowns tick every second; the queue's rows refresh by polling.
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var left = Math.round((due - now) / 1000);
      var sign = left < 0 ? "-" : "";
      var s = Math.abs(left);
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      el.textContent = sign + (h ? h + ":" + pad(m) : String(m)) + ":" + pad(sec);
      el.classList.toggle("overdue", left < 0);
    });
  }

  function refreshRows() {
    var body = document.getElementById("queue-rows");
    if (!body || !body.dataset.rowsUrl) { return; }
    fetch(body.dataset.rowsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) { if (html !== null) { body.innerHTML = html; tick(); } })
      .catch(function () { /* the next poll tries again */ });
  }

  tick();
  setInterval(tick, 1000);
  var seconds = parseFloat(document.body.dataset.refreshSeconds || "5");
  setInterval(refreshRows, Math.max(seconds, 1) * 1000);
})();
