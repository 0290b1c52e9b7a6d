// Agent console: countdowns in words, live updates by server-sent events (polling only when they do not work),
// presence on a ticket while its agent types a reply, and saved replies inserted into the reply box.
(function () {
  "use strict";

  var body = document.body;
  var data = body.dataset;

  // --- countdowns: «quedan 14 min» / «vencido hace 3 min», words from the page -------------------------------

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdownWords(seconds) {
    var ahead = seconds >= 0;
    var minutes = Math.floor(Math.abs(seconds) / 60);
    if (minutes < 60) {
      return (ahead ? data.leftMinutes : data.overdueMinutes).replace("{minutes}", String(minutes));
    }
    var words = ahead ? data.leftHours : data.overdueHours;
    return words.replace("{hours}", String(Math.floor(minutes / 60))).replace("{minutes}", pad(minutes % 60));
  }

  function tick() {
    if (!data.leftMinutes) { return; }
    var now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var due = Date.parse(el.getAttribute("datetime"));
      if (isNaN(due)) { return; }
      var seconds = Math.round((due - now) / 1000);
      el.textContent = countdownWords(seconds);
      el.classList.toggle("overdue", seconds < 0);
    });
  }

  // --- the queue's rows and the ticket's notices ------------------------------------------------------------

  var rows = document.getElementById("queue-rows");
  var refetching = null;

  function refreshRows() {
    if (!rows || !rows.dataset.rowsUrl || refetching) { return; }
    refetching = setTimeout(function () {
      fetch(rows.dataset.rowsUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.text() : null;
        })
        .then(function (html) { refetching = null; if (html !== null) { rows.innerHTML = html; tick(); } })
        .catch(function () { refetching = null; });
    }, 250);
  }

  function ticketChanged(tickets) {
    if (!data.ticket) { return; }
    var mine = (tickets || []).some(function (t) { return t[0] === data.ticket && t[1] > Number(data.version); });
    if (mine || tickets === null) {
      var notice = document.getElementById("changed");
      if (notice) { notice.hidden = false; }
    }
  }

  function showPresence(names) {
    var notice = document.getElementById("presence");
    if (!notice) { return; }
    var words = names.length > 1 ? data.presenceMany : data.presenceOne;
    notice.textContent = names.length ? words.replace("{names}", names.join(", ")) : "";
    notice.hidden = names.length === 0;
  }

  // --- live: server-sent events, polling only when they cannot work ------------------------------------------

  var polling = null;

  function poll() {
    if (polling) { return; }
    var seconds = parseFloat(data.refreshSeconds || "5");
    polling = setInterval(refreshRows, Math.max(seconds, 1) * 1000);
  }

  function listen() {
    if (!data.liveUrl || !window.EventSource) { poll(); return; }
    var stream = new EventSource(data.liveUrl);
    stream.addEventListener("open", function () {
      if (polling) { clearInterval(polling); polling = null; }
    });
    stream.addEventListener("ready", function (e) {
      var said = JSON.parse(e.data);
      if (said.replying) { showPresence(said.replying); }
    });
    stream.addEventListener("tickets", function (e) {
      refreshRows();
      ticketChanged(JSON.parse(e.data).tickets);
    });
    stream.addEventListener("presence", function (e) { showPresence(JSON.parse(e.data).replying); });
    stream.addEventListener("resync", function () { refreshRows(); ticketChanged(null); });
    stream.addEventListener("signed-out", function () { stream.close(); window.location.reload(); });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) {
        poll();  // refused (signed out?) or not possible here: the rows' fetch finds out and reloads
      }
    });
  }

  // --- presence: «Marta está respondiendo» while she types -----------------------------------------------------

  var reply = document.getElementById("reply-body");
  var announced = 0;
  var idleTimer = null;

  function announce(state) {
    if (!data.presenceUrl) { return; }
    var form = new FormData();
    form.append("csrf", data.csrf);
    form.append("state", state);
    if (state === "idle" && navigator.sendBeacon) { navigator.sendBeacon(data.presenceUrl, form); return; }
    fetch(data.presenceUrl, { method: "POST", body: form, credentials: "same-origin" }).catch(function () {});
  }

  function typing() {
    var now = Date.now();
    if (now - announced > 10000) { announced = now; announce("replying"); }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () { announced = 0; announce("idle"); }, 25000);
  }

  if (reply) {
    reply.addEventListener("input", typing);
    reply.addEventListener("focus", typing);
    window.addEventListener("pagehide", function () { if (announced) { announce("idle"); } });
  }

  // --- saved replies: find by name, insert into the reply box ----------------------------------------------------

  var find = document.getElementById("canned-find");
  if (find) {
    find.addEventListener("input", function () {
      var wanted = find.value.trim().toLowerCase();
      document.querySelectorAll("#canned-list li").forEach(function (li) {
        li.hidden = wanted !== "" && li.dataset.name.indexOf(wanted) === -1;
      });
    });
  }
  document.querySelectorAll("a.canned-insert").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (!reply) { return; }
      e.preventDefault();
      var text = link.dataset.body;
      var start = reply.selectionStart || 0, end = reply.selectionEnd || 0;
      reply.value = reply.value ? reply.value.slice(0, start) + text + reply.value.slice(end) : text;
      document.getElementById("canned-reply-id").value = link.dataset.cannedId;
      reply.focus();
      typing();
    });
  });

  // --- photos: a file that looked like one but cannot be drawn shows no broken image (its link stays) --------

  document.querySelectorAll("img.thumb").forEach(function (img) {
    function drop() { img.closest("figure").hidden = true; }
    if (img.complete && img.naturalWidth === 0) { drop(); } else { img.addEventListener("error", drop); }
  });

  tick();
  setInterval(tick, 1000);
  listen();
})();
