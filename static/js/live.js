/* Live case sessions (docs/realtime.md, "Live case sessions").
 *
 * The page is rendered by the server with the session's state and the number of its last step
 * (data-live-seq). This script connects to the run's socket with ?after=<that number>, and for each
 * step it did not see yet fetches the parts that changed and swaps them in ([data-live-region] whose
 * data-live-key differs), never the part holding the reader's focus (a rationale being typed). On the
 * case page it asks the light refresh (data-live-regions: only the banner and the parts whose key
 * differs from the ones sent, "have=<id>~<key>"; an unchanged part comes back empty, marked
 * data-live-same); elsewhere (the panel, a group room) the same page again. Without it, a reload
 * shows the same state. Countdowns ([data-ends-at]) tick
 * here; a poll answer goes over the socket when it is open, else the plain form posts.
 */
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root || !window.WebSocket) return;
  var seq = parseInt(root.getAttribute("data-live-seq"), 10) || 0;
  var role = root.getAttribute("data-live-role");
  var status = root.querySelector("[data-live-status]");
  var regionsUrl = root.getAttribute("data-live-regions");
  var socket = null, backoff = 500, stopped = false, refreshTimer = null, refreshing = false, again = false;

  function scheduleRefresh(delay) {
    if (refreshTimer) return;
    refreshTimer = window.setTimeout(function () { refreshTimer = null; refresh(); }, delay || 0);
  }

  // What to fetch: the light refresh with the keys this page shows, or the page itself.
  function refreshUrl() {
    if (!regionsUrl) return window.location.pathname + window.location.search;
    var have = [], shown = document.querySelectorAll("[data-live-region]");
    for (var i = 0; i < shown.length; i++) {
      var key = shown[i].getAttribute("data-live-key");
      if (shown[i].id && key) have.push("have=" + encodeURIComponent(shown[i].id + "~" + key));
    }
    return regionsUrl + (regionsUrl.indexOf("?") < 0 ? "?" : "&") + have.join("&");
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(refreshUrl(), {credentials: "same-origin", headers: {"X-Live-Refresh": "1"}})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fetched = new DOMParser().parseFromString(html, "text/html");
        var regions = fetched.querySelectorAll("[data-live-region]");
        for (var i = 0; i < regions.length; i++) {
          var incoming = regions[i], current = document.getElementById(incoming.id);
          if (incoming.hasAttribute("data-live-same")) continue;  // unchanged: the light refresh sent no content
          if (!current || current.getAttribute("data-live-key") === incoming.getAttribute("data-live-key")) continue;
          if (typing(current)) { again = true; continue; }
          current.replaceWith(document.importNode(incoming, true));
        }
        var shown = document.querySelectorAll("[data-live-region]");
        for (var j = 0; j < shown.length; j++) {  // a part the page no longer has (the banner, once the session ends)
          if (!fetched.getElementById(shown[j].id) && !typing(shown[j])) shown[j].remove();
        }
        var banner = document.getElementById("live-banner");
        var announce = banner && banner.querySelector("[data-live-announce]");
        if (status && announce) status.textContent = announce.textContent;
        bindPollForm();
        tick();
        document.dispatchEvent(new CustomEvent("live:refreshed", {detail: {seq: seq}}));
      })
      .catch(function () { again = true; })
      .then(function () {
        refreshing = false;
        if (again) { again = false; scheduleRefresh(1000); }
      });
  }

  // A part is not swapped while the reader types in it (a rationale, a message); a focused button is no reason to wait.
  function typing(region) {
    var active = document.activeElement;
    if (!active || !region.contains(active)) return false;
    return active.tagName === "TEXTAREA" || active.tagName === "SELECT" ||
      (active.tagName === "INPUT" && /^(text|number|search|email|url)$/.test(active.type));
  }

  function connect() {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-live-socket") + "?after=" + seq);
    socket.onmessage = function (message) {
      var frame;
      try { frame = JSON.parse(message.data); } catch (e) { return; }
      if (frame.type === "live.event") {
        if (frame.seq <= seq) return;
        seq = frame.seq;
        root.setAttribute("data-live-seq", String(seq));
        scheduleRefresh(0);
        if (frame.kind === "end") stopped = true;
      } else if (frame.type === "live.resumed") {
        backoff = 500;
      } else if (frame.type === "live.tally" || frame.type === "live.presence") {
        if (role === "facilitator") scheduleRefresh(300);
      } else if (frame.type === "poll.answered") {
        scheduleRefresh(0);
      } else if (frame.type === "error") {
        var box = document.querySelector("[data-live-error]");
        if (box) { box.textContent = frame.detail; box.hidden = false; }
      }
    };
    socket.onclose = function (event) {
      socket = null;
      if (event.code === 4409 || event.code === 4410 || event.code === 4403 || event.code === 4401) {
        stopped = true;
        scheduleRefresh(0);
        return;
      }
      var wait = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, 30000);
      window.setTimeout(connect, wait);
    };
  }

  function bindPollForm() {
    var form = document.querySelector("form[data-live-poll]");
    if (!form || form.getAttribute("data-live-bound")) return;
    form.setAttribute("data-live-bound", "1");
    form.addEventListener("submit", function (event) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return;  // the plain form posts instead
      event.preventDefault();
      var chosen = form.querySelector("input[name=option_id]:checked");
      socket.send(JSON.stringify({
        type: "poll.answer", client_id: String(Date.now()),
        option_id: chosen ? chosen.value : "",
        rationale: form.querySelector("input[name=rationale]").value,
        named: form.querySelector("input[name=named]").checked
      }));
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function tick() {
    var clocks = document.querySelectorAll("[data-ends-at]");
    for (var i = 0; i < clocks.length; i++) {
      var left = Math.max(0, Math.round((Date.parse(clocks[i].getAttribute("data-ends-at")) - Date.now()) / 1000));
      clocks[i].textContent = left > 0 ? Math.floor(left / 60) + ":" + pad(left % 60) : clocks[i].getAttribute("data-over") || "0:00";
    }
  }

  window.setInterval(tick, 1000);
  window.setInterval(function () {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "ping"}));
  }, 25000);
  tick();
  bindPollForm();
  connect();
})();
