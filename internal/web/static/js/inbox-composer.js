/*
 * The inbox's composer: Enter sends, Shift+Enter breaks the line, files by
 * the picker, paste or drop, replies, a draft per chat kept in
 * localStorage, and the message shown at once, settling to its real state
 * when its events arrive. It sends through the JSON API with the session
 * cookie, tells teammates it is typing over the socket, and, when the
 * agent opted in, shows the customer the bot typing. It uses what
 * inbox.js shares in window.kiteInbox.
 */
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }
  function inbox() { return window.kiteInbox; }
  function api(method, path, body, isForm) { return inbox().api(method, path, body, isForm); }
  function chatID() { return inbox().chatID(); }
  function toast(msg, kind) { return inbox().toast(msg, kind); }
  function scrollToBottom() { inbox().scrollToBottom(); }
  function upsert(id) { return inbox().upsert(id); }
  function send(frame) { inbox().send(frame); }
  function chatEl() { return $("chat"); }

  var files = [];       // File objects waiting to be sent
  var lastTyping = 0;
  var lastBotTyping = 0;
  var draftTimer = null;

  function draftKey(id) { return "kite.draft." + id; }

  function composerText() { return $("composer-text"); }

  function autosize() {
    var t = composerText();
    if (!t) return;
    t.style.height = "auto";
    t.style.height = Math.min(t.scrollHeight + 2, window.innerHeight * 0.4) + "px";
  }

  function restoreDraft() {
    var t = composerText();
    var id = chatID();
    if (!t || !id) return;
    try { t.value = localStorage.getItem(draftKey(id)) || ""; } catch (e) { /* storage off */ }
    var bot = $("composer-bot-typing");
    try { if (bot) bot.checked = localStorage.getItem("kite.botTyping") === "1"; } catch (e) { /* storage off */ }
    autosize();
  }

  function saveDraft() {
    var t = composerText();
    var id = chatID();
    if (!t || !id) return;
    window.clearTimeout(draftTimer);
    draftTimer = window.setTimeout(function () {
      try {
        if (t.value) localStorage.setItem(draftKey(id), t.value);
        else localStorage.removeItem(draftKey(id));
      } catch (e) { /* storage off */ }
    }, 200);
  }

  function drawFiles() {
    var list = $("composer-files");
    if (!list) return;
    list.textContent = "";
    files.forEach(function (f, i) {
      var li = document.createElement("li");
      li.className = "composer-file";
      var name = document.createElement("span");
      name.textContent = f.name + " (" + Math.max(1, Math.round(f.size / 1000)) + " KB)";
      var rm = document.createElement("button");
      rm.type = "button";
      rm.className = "btn btn-ghost btn-sm";
      rm.setAttribute("data-file-remove", String(i));
      rm.textContent = "Remove";
      rm.setAttribute("aria-label", "Remove " + f.name);
      li.appendChild(name);
      li.appendChild(rm);
      list.appendChild(li);
    });
  }

  function addFiles(list) {
    Array.prototype.forEach.call(list || [], function (f) {
      if (f.size > 10 * 1024 * 1024) { toast(f.name + " is larger than 10 MB and cannot be sent.", "error"); return; }
      if (files.length >= 10) { toast("Up to 10 files go with one message.", "warning"); return; }
      files.push(f);
    });
    drawFiles();
  }

  function setReply(id, name, text) {
    var box = $("reply-preview");
    if (!box) return;
    $("reply-to").value = id || "";
    box.hidden = !id;
    if (id) {
      $("reply-name").textContent = name;
      $("reply-text").textContent = text;
      composerText().focus();
    }
  }

  var pendingSeq = 0;
  function pendingBubble(text, count) {
    var list = $("messages");
    if (!list) return null;
    var empty = $("messages-empty");
    if (empty) empty.remove();
    var li = document.createElement("li");
    li.className = "msg msg-out msg-first msg-pending";
    li.id = "pending-" + (++pendingSeq);
    var b = document.createElement("div");
    b.className = "bubble";
    if (count) {
      var f = document.createElement("p");
      f.className = "msg-file";
      f.textContent = count === 1 ? "1 file" : count + " files";
      b.appendChild(f);
    }
    if (text) {
      var p = document.createElement("p");
      p.className = "msg-text";
      p.textContent = text;
      b.appendChild(p);
    }
    var meta = document.createElement("p");
    meta.className = "msg-meta";
    var st = document.createElement("span");
    st.className = "msg-status msg-status-queued";
    st.textContent = "Sending";
    meta.appendChild(st);
    b.appendChild(meta);
    li.appendChild(b);
    var newer = list.querySelector(".messages-newer");
    list.insertBefore(li, newer);
    scrollToBottom();
    return li;
  }

  function submit(form) {
    var t = composerText();
    var chat = form.getAttribute("data-chat");
    var text = t.value.replace(/\s+$/, "");
    var reply = $("reply-to").value;
    var sending = files.slice();
    if (!text.trim() && sending.length === 0) return;
    var pending = pendingBubble(text, sending.length);
    t.value = "";
    autosize();
    files = [];
    drawFiles();
    setReply("");
    try { localStorage.removeItem(draftKey(chat)); } catch (e) { /* storage off */ }

    var uploads = sending.map(function (f) {
      var fd = new FormData();
      fd.append("file", f, f.name);
      return api("POST", "/files", fd, true);
    });
    Promise.all(uploads).then(function (stored) {
      var body = { text: text };
      if (reply) body.reply_to_id = reply;
      if (stored.length) body.attachments = stored.map(function (s) { return { file_id: s.id }; });
      return api("POST", "/chats/" + chat + "/messages", body);
    }).then(function (m) {
      if (!pending) return;
      if ($("msg-" + m.id)) { pending.remove(); return; } // its event came first
      pending.id = "msg-" + m.id;
      pending.classList.remove("msg-pending");
      pending.setAttribute("data-id", m.id);
      upsert(m.id);
    }, function (err) {
      if (pending) pending.remove();
      toast(err.message + " Your message is back in the box.", "error");
      if (chat === chatID()) {
        t.value = text + (t.value ? "\n" + t.value : "");
        autosize();
        saveDraft();
      }
    });
  }

  // A chat was opened: its own draft, no files or reply of another chat.
  document.addEventListener("kite:chat-opened", function () {
    files = [];
    drawFiles();
    restoreDraft();
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (t !== composerText() || !t) return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      holdBreak = true;
      var form = $("composer");
      if (form) submit(form);
    } else if (e.key === "Escape" && $("reply-to") && $("reply-to").value) {
      e.preventDefault();
      setReply("");
    }
  });

  // Enter sends: the line break it would type is held back until the key
  // is up (some input methods insert it after keydown as well).
  var holdBreak = false;
  document.addEventListener("beforeinput", function (e) {
    if (holdBreak && e.target === composerText() && (e.inputType === "insertLineBreak" || e.inputType === "insertParagraph" ||
      (e.inputType === "insertText" && (e.data === "\n" || e.data === "\r")))) e.preventDefault();
  });
  document.addEventListener("keyup", function (e) { if (e.key === "Enter") holdBreak = false; });

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form instanceof HTMLFormElement && form.id === "composer") {
      e.preventDefault();
      submit(form);
    }
  });

  document.addEventListener("input", function (e) {
    if (e.target !== composerText()) return;
    autosize();
    saveDraft();
    var id = chatID();
    var now = Date.now();
    if (id && now - lastTyping > 2000) {
      lastTyping = now;
      send({ type: "typing", data: { chat_id: id } });
    }
    var bot = $("composer-bot-typing");
    if (id && bot && bot.checked && now - lastBotTyping > 4000) {
      lastBotTyping = now;
      api("POST", "/chats/" + id + "/typing").catch(function () {});
    }
  });

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t && t.id === "composer-file") { addFiles(t.files); t.value = ""; return; }
    if (t && t.id === "composer-bot-typing") {
      try { localStorage.setItem("kite.botTyping", t.checked ? "1" : "0"); } catch (err) { /* storage off */ }
    }
  });

  document.addEventListener("paste", function (e) {
    if (e.target !== composerText() || !e.clipboardData || !e.clipboardData.files.length) return;
    e.preventDefault();
    addFiles(e.clipboardData.files);
  });

  document.addEventListener("dragover", function (e) {
    var c = chatEl();
    if (!c || !c.contains(e.target) || !$("composer")) return;
    e.preventDefault();
    $("composer").classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (e) {
    var f = $("composer");
    if (f && (!e.relatedTarget || !chatEl().contains(e.relatedTarget))) f.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (e) {
    var c = chatEl();
    if (!c || !c.contains(e.target) || !$("composer")) return;
    e.preventDefault();
    $("composer").classList.remove("drop-target");
    addFiles(e.dataTransfer && e.dataTransfer.files);
  });

  document.addEventListener("click", function (e) {
    var t = e.target instanceof Element ? e.target : null;
    if (!t) return;
    var el;
    if ((el = t.closest("[data-reply]"))) {
      setReply(el.getAttribute("data-reply"), el.getAttribute("data-reply-name"), el.getAttribute("data-reply-text"));
    } else if (t.closest("[data-reply-cancel]")) {
      setReply("");
    } else if ((el = t.closest("[data-file-remove]"))) {
      files.splice(Number(el.getAttribute("data-file-remove")), 1);
      drawFiles();
    }
  });
})();
