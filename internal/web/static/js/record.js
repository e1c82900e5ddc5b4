/*
 * A contact's or company's page, live: when an event about the record
 * arrives on the realtime socket (a message in one of its chats, a deal
 * moved in the inbox or on the board, a note, a change), the page is
 * fetched again and its Deals and Activity cards are swapped in, unless
 * the person is typing in one of them. The socket is the page's shared one
 * (kite.live), which replays what a reconnect missed.
 */
(function () {
  "use strict";

  var root = null;
  var timer = null;

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

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("record-layout");
    if (!root || !window.kite) return;
    window.kite.live.onState(function (on) { root.setAttribute("data-live", String(on)); });
    window.kite.live.on(function (m) { if (about(m)) refresh(); });
  });
})();
