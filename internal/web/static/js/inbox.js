/*
 * The inbox workspace. The server draws every piece of it (chat rows,
 * message bubbles, the context panel); this script keeps it live:
 *
 * - events from the page's realtime socket (kite.live, which reconnects
 *   and replays what it missed): new messages and their status are fetched
 *   as the server draws them and put in place by id, so a repeated event
 *   never draws a message twice; chats, assignment and read state refresh
 *   the list;
 * - teammates: presence (online/away, a heartbeat every 25 s per socket;
 *   a socket that closes is reported offline at once) and "is typing" in
 *   the open chat, sent as socket frames;
 * - the composer lives in inbox-composer.js;
 * - the keyboard: j / k move between chats, / searches, e closes the chat.
 * The unread total in the navigation and the tab title is kite.js's, on
 * every page.
 */
(function () {
  "use strict";

  var root = null;       // #inbox
  var me = "";           // the signed-in member's id
  var orgID = "";

  function $(id) { return document.getElementById(id); }
  function chatEl() { return $("chat"); }
  function chatID() { var c = chatEl(); return c ? c.getAttribute("data-chat") : ""; }
  function toast(msg, kind) { return window.kite ? window.kite.toast(msg, kind) : null; }
  function typingInField(t) {
    return t instanceof Element && (t.closest("input, textarea, select, [contenteditable=true]") !== null);
  }

  // ---------- JSON API with the session cookie ----------

  function api(method, path, body, isForm) {
    var headers = { "Accept": "application/json", "X-Org-ID": orgID };
    if (body && !isForm) headers["Content-Type"] = "application/json";
    return fetch("/api/v1" + path, {
      method: method, credentials: "same-origin", headers: headers,
      body: body ? (isForm ? body : JSON.stringify(body)) : undefined
    }).then(function (res) {
      if (res.status === 204) return {};
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.detail || "Kite answered " + res.status + ".");
        return data;
      });
    });
  }

  // fragment fetches a piece of page the server draws.
  function fragment(url) { return window.kite.fragment(url); }

  function parse(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content;
  }

  // ---------- Messages in the window ----------

  var versions = {}; // message id -> latest request number
  var applied = {};  // message id -> number of the drawing in the page

  function nearBottom() {
    var s = $("chat-scroll");
    return !s || s.scrollHeight - s.scrollTop - s.clientHeight < 160;
  }

  function scrollToBottom() {
    var s = $("chat-scroll");
    if (s) s.scrollTop = s.scrollHeight;
  }

  // upsert draws message id of the open chat as the server has it now.
  function upsert(id) {
    var chat = chatID();
    if (!chat || !id) return Promise.resolve();
    var n = (versions[id] || 0) + 1;
    versions[id] = n;
    return fragment("/inbox/" + chat + "/messages/" + id).then(function (html) {
      if (chat !== chatID() || n < (applied[id] || 0)) return;
      applied[id] = n;
      place(parse(html), id);
    }, function () { /* the next event or a reload draws it */ });
  }

  function place(frag, id) {
    var list = $("messages");
    if (!list) return;
    var item = frag.querySelector("#msg-" + CSS.escape(id));
    if (!item) return;
    var divider = frag.querySelector(".day-divider");
    var old = $("msg-" + id);
    if (old) {
      item.classList.toggle("msg-first", old.classList.contains("msg-first"));
      old.replaceWith(item);
      return;
    }
    var stick = nearBottom();
    var empty = $("messages-empty");
    if (empty) empty.remove();
    // In time order: after the last message that is not later than it.
    var at = Number(item.getAttribute("data-at"));
    var msgs = list.querySelectorAll(".msg:not(.msg-pending)");
    var after = null;
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (Number(msgs[i].getAttribute("data-at")) <= at) { after = msgs[i]; break; }
    }
    var anchor = after ? after.nextSibling : list.querySelector(".msg, .day-divider");
    var newer = list.querySelector(".messages-newer");
    if (!after && !anchor) anchor = newer;
    if (after && newer && !anchor) anchor = newer;
    var day = item.getAttribute("data-day");
    if (divider && !list.querySelector('.day-divider[data-day="' + day + '"]')) list.insertBefore(divider, anchor);
    list.insertBefore(item, anchor);
    runStart(item);
    var next = item.nextElementSibling;
    if (next && next.classList.contains("msg")) runStart(next);
    if (stick) scrollToBottom();
  }

  // runStart decides whether a message starts a run of its sender.
  function runStart(item) {
    var prev = item.previousElementSibling;
    var same = prev && prev.classList.contains("msg") &&
      prev.getAttribute("data-sender") === item.getAttribute("data-sender") &&
      prev.getAttribute("data-day") === item.getAttribute("data-day") &&
      Number(item.getAttribute("data-at")) - Number(prev.getAttribute("data-at")) <= 600;
    item.classList.toggle("msg-first", !same);
  }

  // After older messages arrive above: one divider per day, runs joined.
  function tidy() {
    var list = $("messages");
    if (!list) return;
    var seen = {};
    list.querySelectorAll(".day-divider").forEach(function (d) {
      var k = d.getAttribute("data-day");
      if (seen[k]) d.remove(); else seen[k] = true;
    });
    list.querySelectorAll(".msg").forEach(function (m) {
      var prev = m.previousElementSibling;
      if (prev && prev.classList.contains("msg")) runStart(m);
    });
  }

  // ---------- Read state and unread totals ----------

  var readTimer = null;
  function markRead() {
    var chat = chatID();
    if (!chat || document.visibilityState !== "visible") return;
    window.clearTimeout(readTimer);
    readTimer = window.setTimeout(function () {
      api("PATCH", "/chats/" + chat + "/read").then(function () {
        var row = $("chat-row-" + chat);
        if (row) {
          row.classList.remove("chat-row-unread");
          var b = row.querySelector(".unread-badge");
          if (b) b.remove();
        }
        window.kite.refreshCounts();
      }, function () {});
    }, 250);
  }

  // ---------- The chat list ----------

  var listTimer = null;
  var listStale = false;
  function listURL() {
    var q = new URLSearchParams(location.search);
    q.delete("m");
    var open = chatID();
    if (open) q.set("open", open);
    return "/inbox/chats?" + q.toString();
  }

  function refreshList() {
    window.clearTimeout(listTimer);
    listTimer = window.setTimeout(function () {
      var box = $("chat-list");
      if (!box) return;
      if (box.scrollTop > 40) { listStale = true; return; }
      var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".chat-row") : null;
      var keep = focused ? focused.id : "";
      fragment(listURL()).then(function (html) {
        box.innerHTML = html;
        if (window.htmx) window.htmx.process(box);
        if (keep && $(keep)) $(keep).focus();
        listStale = false;
      }, function () {});
    }, 300);
  }

  function markOpenRow() {
    var open = chatID();
    document.querySelectorAll(".chat-row").forEach(function (r) {
      if (r.getAttribute("data-chat") === open) r.setAttribute("aria-current", "page");
      else r.removeAttribute("aria-current");
    });
  }

  // ---------- Realtime ----------

  var connectedOnce = false;
  var subscribedChat = "";
  var heartbeat = null;

  function send(frame) { return window.kite.live.send(frame); }

  function chatTopic(id) { return "org." + orgID + ".chat." + id; }

  function subscribeChat() {
    var id = chatID();
    if (id === subscribedChat) return;
    if (subscribedChat) send({ type: "unsubscribe", topics: [chatTopic(subscribedChat)] });
    subscribedChat = id;
    if (id) send({ type: "subscribe", topics: [chatTopic(id)] });
  }

  // opened runs each time the page's socket (kite.live) opens: the
  // subscriptions are the connection's, and after a reconnect the list is
  // read again, as more may have changed than was replayed.
  function opened(reconnected) {
    live(true);
    subscribedChat = "";
    send({ type: "subscribe", topics: ["org." + orgID + ".presence"] });
    subscribeChat();
    lastState = "";
    announce(true);
    if (reconnected) refreshList();
    connectedOnce = true;
  }

  // live shows whether updates are flowing; a lost connection says so
  // until the socket is back (and has replayed what it missed).
  function live(on) {
    root.setAttribute("data-live", String(on));
    var note = $("inbox-offline");
    if (note) note.hidden = on || !connectedOnce;
  }

  var contextTimer = null;
  function refreshContext() {
    window.clearTimeout(contextTimer);
    contextTimer = window.setTimeout(function () {
      if (chatID() && document.body) document.body.dispatchEvent(new CustomEvent("kite:context-refresh", { bubbles: true }));
    }, 300);
  }

  function chatChanged() {
    if (document.body) document.body.dispatchEvent(new CustomEvent("kite:chat-changed", { bubbles: true }));
  }

  function handle(m) {
    var type = m.type || "";
    var d = m.data || {};
    if (type === "presence") return presence(d);
    if (type === "typing") return typing(d);
    if (type.indexOf("message.") === 0) {
      var msg = d.message || {};
      if (d.chat_id && d.chat_id === chatID()) {
        upsert(msg.id);
        if (type === "message.received") markRead();
      }
      if (type === "message.received" || type === "message.queued" || type === "message.failed") refreshList();
      return;
    }
    if (type.indexOf("chat.") === 0) {
      refreshList();
      if (d.chat_id && d.chat_id === chatID() && type !== "chat.read") { chatChanged(); refreshContext(); }
      return;
    }
    // The panel shows the chat's contact and their deals: only their
    // changes redraw it.
    var panel = $("context-panel") || chatEl(); // the panel knows a relinked contact
    var contact = panel ? panel.getAttribute("data-contact") : "";
    if (contact && /^(deal|contact|note)\./.test(type) && (m.subject === contact || d.contact_id === contact)) refreshContext();
  }

  // ---------- Presence and typing ----------

  // user id -> {name, sockets: {socket id -> {state, at}}}: a person is
  // online while any of their sockets (tabs, devices) is.
  var people = {};
  var lastAnnounce = 0;

  function myState() {
    return document.visibilityState === "visible" && document.hasFocus() ? "online" : "away";
  }

  var lastState = "";
  function announce(force) {
    var now = Date.now();
    var state = myState();
    if (state === lastState && now - lastAnnounce < (force ? 1100 : 5000)) return;
    if (!window.kite.live.connected()) return;
    lastAnnounce = now;
    lastState = state;
    send({ type: "presence", data: { state: state } });
  }

  function presence(d) {
    if (!d.user_id || d.user_id === me) return;
    var known = people[d.user_id];
    var p = known || { sockets: {} };
    p.name = d.name || "A teammate";
    var socket = d.socket || "";
    if (d.state === "offline") delete p.sockets[socket];
    else p.sockets[socket] = { state: d.state, at: Date.now() };
    people[d.user_id] = p;
    if (!known && d.state !== "offline") window.setTimeout(function () { announce(true); }, 1100); // a newcomer learns about us at once
    drawPresence();
  }

  // stateOf is a person's state over their sockets; "" when none is left.
  function stateOf(p, now) {
    var state = "";
    Object.keys(p.sockets).forEach(function (id) {
      var s = p.sockets[id];
      if (now - s.at > 70000) { delete p.sockets[id]; return; } // its heartbeat stopped
      if (s.state === "online") state = "online";
      else if (!state) state = "away";
    });
    return state;
  }

  function drawPresence() {
    var list = $("presence");
    var now = Date.now();
    Object.keys(people).forEach(function (id) {
      people[id].state = stateOf(people[id], now);
      if (!people[id].state) delete people[id];
    });
    if (!list) return;
    list.textContent = "";
    Object.keys(people).sort(function (a, b) { return people[a].name.localeCompare(people[b].name); }).forEach(function (id) {
      var p = people[id];
      var li = document.createElement("li");
      li.className = "presence-member presence-" + (p.state === "online" ? "online" : "away");
      li.title = p.name + (p.state === "online" ? " is online" : " is away");
      var av = document.createElement("span");
      av.className = "avatar";
      av.setAttribute("aria-hidden", "true");
      av.textContent = initials(p.name);
      var dot = document.createElement("span");
      dot.className = "presence-dot";
      dot.setAttribute("aria-hidden", "true");
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = li.title;
      li.appendChild(av);
      li.appendChild(dot);
      li.appendChild(label);
      list.appendChild(li);
    });
  }

  function initials(name) {
    var out = "";
    name.split(/\s+/).forEach(function (w) { if (w && out.length < 2) out += w[0].toUpperCase(); });
    return out || "?";
  }

  var typers = {}; // user id -> {name, until}
  var typingTimer = null;
  function typing(d) {
    if (!d.user_id || d.user_id === me || d.chat_id !== chatID()) return;
    typers[d.user_id] = { name: d.name || "A teammate", until: Date.now() + 4000 };
    drawTyping();
  }

  function drawTyping() {
    var el = $("typing");
    var now = Date.now();
    var names = [];
    Object.keys(typers).forEach(function (id) {
      if (typers[id].until < now) delete typers[id]; else names.push(typers[id].name);
    });
    if (el) {
      var text = names.length === 0 ? "" : names.length === 1 ? names[0] + " is typing…" : names.join(" and ") + " are typing…";
      if (el.textContent !== text) el.textContent = text;
    }
    window.clearTimeout(typingTimer);
    if (names.length) typingTimer = window.setTimeout(drawTyping, 1000);
  }

  // ---------- Events of the page ----------


  document.addEventListener("keydown", function (e) {
    if (!root) return;
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey || typingInField(t)) return;
    if (e.key === "/") {
      var box = $("inbox-search");
      if (box) {
        e.preventDefault();
        e.stopImmediatePropagation(); // the inbox's search, not the global one
        box.focus();
        box.select();
      }
    } else if (e.key === "j" || e.key === "k") {
      e.preventDefault();
      moveChat(e.key === "j" ? 1 : -1);
    } else if (e.key === "e") {
      var id = chatID();
      if (id && root.getAttribute("data-can-write") === "true") { e.preventDefault(); closeChat(id); }
    }
  }, true);

  function moveChat(step) {
    var rows = Array.prototype.slice.call(document.querySelectorAll(".chat-row"));
    if (!rows.length) return;
    var focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".chat-row") : null;
    var cur = focused || document.querySelector('.chat-row[aria-current="page"]');
    var i = rows.indexOf(cur);
    var next = rows[i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step))];
    if (!next) return;
    next.focus();
    if (next !== cur) next.click();
  }

  function closeChat(id) {
    api("PATCH", "/chats/" + id, { status: "closed" }).then(function () {
      window.kite.toastAction(toast("Chat closed.", "success"), "Undo", function () {
        return api("PATCH", "/chats/" + id, { status: "open" }).then(function () {
          toast("Chat reopened.", "info");
          refreshList();
          chatChanged();
          refreshContext();
        });
      });
      refreshList();
      chatChanged();
      refreshContext();
    }, function (err) { toast(err.message, "error"); });
  }



  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t instanceof HTMLSelectElement && t.hasAttribute("data-autosubmit") && t.form) t.form.requestSubmit();
  });



  document.addEventListener("click", function (e) {
    var t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    var el;
    if ((el = t.closest("[data-retry]"))) {
      el.disabled = true;
      var id = el.getAttribute("data-retry");
      api("POST", "/messages/" + id + "/retry").then(function () { upsert(id); }, function (err) {
        el.disabled = false;
        toast(err.message, "error");
      });
    } else if ((el = t.closest("[data-viewer]"))) {
      openViewer(el.getAttribute("data-viewer"), el.querySelector("img"));
    } else if ((el = t.closest("[data-details-toggle]"))) {
      var open = !root.hasAttribute("data-details-open");
      root.toggleAttribute("data-details-open", open);
      el.setAttribute("aria-expanded", String(open));
    }
  });

  function openViewer(src, img) {
    var d = document.createElement("dialog");
    d.className = "viewer";
    d.setAttribute("aria-label", img ? img.alt : "Picture");
    var big = document.createElement("img");
    big.src = src;
    big.alt = img ? img.alt : "";
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn btn-secondary btn-sm viewer-close";
    close.textContent = "Close";
    close.addEventListener("click", function () { d.close(); });
    d.appendChild(big);
    d.appendChild(close);
    d.addEventListener("close", function () { d.remove(); });
    d.addEventListener("click", function (ev) { if (ev.target === d) d.close(); });
    document.body.appendChild(d);
    d.showModal();
    close.focus();
  }

  // The context panel's refused forms come back with their errors: show them.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail;
    if (!d || !d.target || !d.xhr) return;
    if (d.target.id === "context-panel" && d.xhr.status >= 400 && d.xhr.status < 500) {
      d.shouldSwap = true;
      d.isError = false;
    }
    // Older messages: keep what is on screen where it is.
    if (d.target.classList && d.target.classList.contains("messages-older")) {
      var s = $("chat-scroll");
      if (s) s.setAttribute("data-from-bottom", String(s.scrollHeight - s.scrollTop));
    }
  });

  document.addEventListener("htmx:afterSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target) return;
    if (target.id === "conversation") {
      openedChat();
      return;
    }
    var s = $("chat-scroll");
    if (s && s.hasAttribute("data-from-bottom")) {
      tidy();
      s.scrollTop = s.scrollHeight - Number(s.getAttribute("data-from-bottom"));
      s.removeAttribute("data-from-bottom");
    }
  });

  // Chat rows swap the conversation in place: the address follows, so
  // the browser's back button returns to the previous chat.
  window.addEventListener("popstate", function () {
    if (root && location.pathname.indexOf("/inbox") === 0) location.reload();
  });

  // openedChat sets up the conversation that was just drawn.
  function openedChat() {
    root.classList.toggle("inbox-has-chat", !!chatID());
    root.removeAttribute("data-details-open");
    markOpenRow();
    subscribeChat();
    typers = {};
    drawTyping();
    drawPresence();
    document.dispatchEvent(new CustomEvent("kite:chat-opened"));
    var div = $("unread-divider");
    var hit = document.querySelector(".msg-highlight");
    if (hit) hit.scrollIntoView({ block: "center" });
    else if (div) div.scrollIntoView({ block: "start" });
    else scrollToBottom();
    var name = $("chat-title");
    window.kite.setTitle((name ? name.textContent + " · " : "") + "Inbox · Kite");
    markRead();
  }

  document.addEventListener("visibilitychange", function () {
    announce(true);
    if (document.visibilityState === "visible") {
      markRead();
      if (listStale) refreshList();
    }
  });
  window.addEventListener("focus", function () { announce(true); });
  window.addEventListener("blur", function () { announce(true); });

  document.addEventListener("scroll", function (e) {
    var t = e.target;
    if (t && t.id === "chat-list" && listStale && t.scrollTop <= 40) refreshList();
  }, true);

  document.addEventListener("htmx:afterSettle", function (e) {
    // A redrawn chat header comes without the teammates it showed.
    var list = $("presence");
    if (list && !list.children.length && Object.keys(people).length) drawPresence();
  });

  // What the composer (inbox-composer.js) shares with this script.
  window.kiteInbox = {
    api: api, upsert: upsert, chatID: chatID, send: send, toast: toast, scrollToBottom: scrollToBottom
  };

  document.addEventListener("DOMContentLoaded", function () {
    root = $("inbox");
    if (!root) return;
    me = root.getAttribute("data-user") || "";
    orgID = root.getAttribute("data-org") || "";
    if (chatID()) openedChat();
    window.kite.live.onOpen(opened);
    window.kite.live.onState(function (on) { if (!on) live(false); });
    window.kite.live.on(handle);
    heartbeat = window.setInterval(function () { announce(true); drawPresence(); }, 25000);
  });
})();
