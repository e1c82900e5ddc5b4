/*
 * A contact's or company's page, live: when an event about the record
 * arrives on the realtime socket (a message in one of its chats, a deal
 * moved in the inbox or on the board, a note, a change), the page is
 * fetched again and its Deals and Activity cards are swapped in, unless
 * the person is typing in one of them. Reconnects replay what was missed.
 */
(function () {
  "use strict";

  var root = null;
  var lastID = "";
  var backoff = 500;
  var timer = null;
  var seen = {};
  var order = [];

  function about(m) {
    var id = root.getAttribute("data-live-record");
    var d = m.data || {};
    return m.subject === id || d.contact_id === id || d.company_id === id;
  }

  function refresh() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      fetch(location.pathname, { credentials: "same-origin" }).then(function (res) {
        return res.ok ? res.text() : Promise.reject(res.status);
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        ["deals", "activity", "notes"].forEach(function (id) {
          var now = document.getElementById(id);
          var next = doc.getElementById(id);
          if (!now || !next || now.contains(document.activeElement)) return;
          now.replaceWith(document.importNode(next, true));
          if (window.htmx) window.htmx.process(document.getElementById(id));
        });
      }, function () { /* the next event tries again */ });
    }, 300);
  }

  function connect() {
    if (!("WebSocket" in window)) return;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/realtime?org_id=" +
      encodeURIComponent(root.getAttribute("data-org")) + (lastID ? "&since=" + encodeURIComponent(lastID) : "");
    var socket = new WebSocket(url);
    socket.addEventListener("open", function () {
      backoff = 500;
      root.setAttribute("data-live", "true");
    });
    socket.addEventListener("message", function (e) {
      var m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      if (m.id) {
        if (seen[m.id]) return;
        seen[m.id] = true;
        order.push(m.id);
        if (order.length > 1000) delete seen[order.shift()];
        lastID = m.id;
      }
      if (about(m)) refresh();
    });
    socket.addEventListener("close", function () {
      root.setAttribute("data-live", "false");
      window.setTimeout(connect, backoff + Math.floor(Math.random() * 250));
      backoff = Math.min(backoff * 2, 10000);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("record-layout");
    if (!root || !root.getAttribute("data-org")) return;
    lastID = root.getAttribute("data-since") || "";
    connect();
  });
})();
