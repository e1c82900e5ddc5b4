/*
 * Kite's browser helpers. No framework, no eval, no inline handlers: every
 * behaviour hangs off data attributes through delegated listeners, so it also
 * works for content htmx swaps in later.
 *
 *   Theme     [data-theme-toggle] flips light/dark; the choice is kept in
 *             localStorage and set as data-theme on <html>.
 *   Toasts    kite.toast(message, kind) with kind info|success|warning|error;
 *             the server triggers the same with the htmx event "kite:toast"
 *             (HX-Trigger: {"kite:toast": {"message": "Saved", "kind": "success"}}).
 *   Dialogs   [data-dialog-open="id"] opens <dialog id>, [data-dialog-close]
 *             closes the dialog it is in, a click on the backdrop closes it
 *             (unless data-dialog-static), dialog[data-dialog-autoopen] opens
 *             when htmx loads it, and the "kite:dialog-close" event closes the
 *             open dialogs. kite.openDialog(id) / kite.closeDialog(id).
 *   Confirm   an element or form with data-confirm="message" asks first
 *             (data-confirm-title, data-confirm-action name the dialog's title
 *             and button); kite.confirm(message, options) returns a Promise.
 *   Drawer    [data-nav-toggle] opens the navigation on narrow screens.
 *   Live      an element with data-live that fails to refresh gets data-stale.
 *   Flash     a toast the server drew ([data-toast] in #toasts) is dismissed
 *             like the ones kite.toast() makes.
 *   Menus     details[data-menu] closes on Escape and on a click outside it.
 *   Copy      [data-copy="selector"] copies that element's value or text.
 *   Busy      a submitted form's submit button gets aria-busy="true" and
 *             ignores further clicks, so a slow answer is not sent twice.
 *   Search    the top bar's combobox (form[data-search]): "/" focuses it,
 *             arrows and Enter pick an option (see "Global search" below).
 *
 * This file loads in <head> without defer so the saved theme is applied
 * before the first paint; everything touching the body waits for it.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var THEME_KEY = "kite-theme";
  root.classList.add("js");

  /* ---------- Theme ---------- */

  function savedTheme() {
    try {
      var t = window.localStorage.getItem(THEME_KEY);
      return t === "dark" || t === "light" ? t : null;
    } catch (e) {
      return null; // storage disabled: follow the system
    }
  }

  var systemDark = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function currentTheme() {
    var t = root.getAttribute("data-theme");
    if (t === "dark" || t === "light") return t;
    return systemDark && systemDark.matches ? "dark" : "light";
  }

  function syncThemeButtons() {
    var next = currentTheme() === "dark" ? "light" : "dark";
    var label = "Switch to " + next + " theme";
    document.querySelectorAll("[data-theme-toggle]").forEach(function (b) {
      b.setAttribute("aria-label", label);
      b.setAttribute("title", label);
    });
  }

  function setTheme(theme) {
    root.setAttribute("data-theme", theme);
    try {
      window.localStorage.setItem(THEME_KEY, theme);
    } catch (e) {
      /* the theme still applies to this page */
    }
    syncThemeButtons();
  }

  var initial = savedTheme();
  if (initial) root.setAttribute("data-theme", initial);
  if (systemDark && systemDark.addEventListener) systemDark.addEventListener("change", syncThemeButtons);

  /* ---------- Toasts ---------- */

  var TOAST_KINDS = { info: 1, success: 1, warning: 1, error: 1 };

  function toastRegion() {
    var region = document.getElementById("toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "toasts";
      region.className = "toasts";
      region.setAttribute("aria-live", "polite");
      document.body.appendChild(region);
    }
    return region;
  }

  function toast(message, kind) {
    if (!TOAST_KINDS[kind]) kind = "info";
    var el = document.createElement("div");
    el.className = "toast toast-" + kind;
    if (kind === "error") el.setAttribute("role", "alert");

    var text = document.createElement("p");
    text.className = "toast-message";
    text.textContent = String(message == null ? "" : message);

    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss notification");
    close.textContent = "\u00d7";

    el.appendChild(text);
    el.appendChild(close);
    toastRegion().appendChild(el);
    return armToast(el, kind, close);
  }

  // armToast makes a toast element dismiss itself after a while, and on its
  // close button.
  function armToast(el, kind, close) {
    var delay = kind === "error" ? 8000 : 5000;
    var timer = null;
    function dismiss() {
      window.clearTimeout(timer);
      if (!el.parentNode) return;
      el.classList.add("toast-leaving");
      window.setTimeout(function () {
        if (el.parentNode) el.parentNode.removeChild(el);
      }, 160);
    }
    function arm() {
      window.clearTimeout(timer);
      timer = window.setTimeout(dismiss, delay);
    }
    // Hovering or focusing a toast keeps it until the pointer or focus leaves.
    el.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
    el.addEventListener("mouseleave", arm);
    el.addEventListener("focusin", function () { window.clearTimeout(timer); });
    el.addEventListener("focusout", arm);
    if (close) close.addEventListener("click", dismiss);
    arm();
    return el;
  }

  // htmx fires HX-Trigger events on the requesting element; they bubble here.
  document.addEventListener("kite:toast", function (e) {
    var d = e.detail || {};
    toast(d.message != null ? d.message : d.value, d.kind);
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts [data-toast]").forEach(function (el) {
      var kind = el.getAttribute("data-toast");
      armToast(el, TOAST_KINDS[kind] ? kind : "info", el.querySelector(".toast-close"));
    });
  });

  /* ---------- Dialogs ---------- */

  function openDialog(id) {
    var d = typeof id === "string" ? document.getElementById(id) : id;
    if (d && d.tagName === "DIALOG" && !d.open) d.showModal();
    return d;
  }

  function closeDialog(id, value) {
    var d = typeof id === "string" ? document.getElementById(id) : id;
    if (d && d.tagName === "DIALOG" && d.open) d.close(value);
    return d;
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var opener = t.closest("[data-dialog-open]");
    if (opener) {
      e.preventDefault();
      openDialog(opener.getAttribute("data-dialog-open"));
      return;
    }
    var closer = t.closest("[data-dialog-close]");
    if (closer) {
      e.preventDefault();
      closeDialog(closer.closest("dialog"), closer.getAttribute("data-dialog-close") || "");
      return;
    }
    // A click on the dialog element itself is a click on its backdrop: the
    // content sits in a child that fills the box.
    if (t.tagName === "DIALOG" && t.open && !t.hasAttribute("data-dialog-static")) {
      var r = t.getBoundingClientRect();
      var inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
      if (!inside) t.close("");
    }
  });

  document.addEventListener("kite:dialog-close", function (e) {
    var id = e.detail && (e.detail.id || e.detail.value);
    if (id) {
      closeDialog(String(id));
      return;
    }
    document.querySelectorAll("dialog[open]").forEach(function (d) { d.close(""); });
  });

  document.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    if (!(elt instanceof Element)) return;
    var found = elt.matches("dialog[data-dialog-autoopen]") ? [elt] : elt.querySelectorAll("dialog[data-dialog-autoopen]");
    Array.prototype.forEach.call(found, function (d) { openDialog(d); });
  });

  /* ---------- Confirm before destructive actions ---------- */

  var confirmParts = null;

  function confirmDialog() {
    if (confirmParts) return confirmParts;
    var d = document.createElement("dialog");
    d.className = "modal modal-sm";
    d.id = "kite-confirm";
    d.setAttribute("aria-labelledby", "kite-confirm-title");
    d.setAttribute("aria-describedby", "kite-confirm-message");

    var box = document.createElement("div");
    box.className = "modal-box";
    var body = document.createElement("div");
    body.className = "modal-body";
    var title = document.createElement("h2");
    title.className = "modal-title";
    title.id = "kite-confirm-title";
    var msg = document.createElement("p");
    msg.className = "modal-text";
    msg.id = "kite-confirm-message";
    body.appendChild(title);
    body.appendChild(msg);

    var footer = document.createElement("div");
    footer.className = "modal-footer";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-secondary";
    cancel.textContent = "Cancel";
    var ok = document.createElement("button");
    ok.type = "button";
    ok.className = "btn btn-danger";
    footer.appendChild(cancel);
    footer.appendChild(ok);

    box.appendChild(body);
    box.appendChild(footer);
    d.appendChild(box);
    document.body.appendChild(d);

    cancel.addEventListener("click", function () { d.close("cancel"); });
    ok.addEventListener("click", function () { d.close("confirm"); });
    confirmParts = { dialog: d, title: title, message: msg, ok: ok, cancel: cancel, pending: null };
    // The close event comes a task after close(): when the dialog has
    // been opened again by then, it is a stale event of the earlier
    // question (already answered "no" by confirmAction) and is ignored.
    d.addEventListener("close", function () {
      if (d.open) return;
      var answer = confirmParts.pending;
      confirmParts.pending = null;
      if (answer) answer(d.returnValue === "confirm");
    });
    return confirmParts;
  }

  function confirmAction(message, options) {
    options = options || {};
    var p = confirmDialog();
    p.title.textContent = options.title || "Are you sure?";
    p.message.textContent = message || "This cannot be undone.";
    p.ok.textContent = options.action || "Confirm";
    return new Promise(function (resolve) {
      // A question still waiting for its close event was cancelled.
      if (p.pending) p.pending(false);
      p.pending = resolve;
      p.dialog.returnValue = "";
      p.dialog.showModal();
      p.cancel.focus(); // the safe choice has focus
    });
  }

  function confirmOptions(el) {
    return {
      title: el.getAttribute("data-confirm-title"),
      action: el.getAttribute("data-confirm-action")
    };
  }

  // Capture phase at the document: runs before htmx's and the page's own
  // listeners, so an unconfirmed action never reaches them.
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var el = t.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    if (el.hasAttribute("data-confirmed")) {
      el.removeAttribute("data-confirmed");
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    confirmAction(el.getAttribute("data-confirm"), confirmOptions(el)).then(function (yes) {
      if (!yes) return;
      el.setAttribute("data-confirmed", "");
      el.click();
    });
  }, true);

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (form.hasAttribute("data-confirmed")) {
      form.removeAttribute("data-confirmed");
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    var submitter = e.submitter || null;
    confirmAction(form.getAttribute("data-confirm"), confirmOptions(form)).then(function (yes) {
      if (!yes) return;
      form.setAttribute("data-confirmed", "");
      if (submitter) form.requestSubmit(submitter);
      else form.requestSubmit();
    });
  }, true);

  /* ---------- Busy submit buttons ---------- */

  // Runs after the confirm handler (capture phase) and the page's own
  // listeners: a submission that was held or cancelled is not marked.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || e.defaultPrevented) return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return; // htmx shows its own state
    var button = e.submitter || form.querySelector("button[type=submit], button:not([type])");
    if (!button) return;
    if (button.getAttribute("aria-busy") === "true") {
      e.preventDefault(); // already on its way
      return;
    }
    button.setAttribute("aria-busy", "true");
  });

  // A page restored from the back/forward cache must not keep busy buttons.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[aria-busy=true]").forEach(function (b) { b.removeAttribute("aria-busy"); });
  });

  /* ---------- Menus ---------- */

  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (d) {
      if (d !== except) d.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    closeMenus(t.closest("details[data-menu]"));
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = document.querySelector("details[data-menu][open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  /* ---------- Copy to clipboard ---------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "visually-hidden";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (err) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) resolve();
      else reject(new Error("copy refused"));
    });
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    var button = t.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source && typeof source.value === "string" ? source.value : source.textContent;
    copyText(String(text).trim()).then(function () {
      var label = button.querySelector("[data-copy-label]");
      if (label) {
        var before = label.textContent;
        label.textContent = "Copied";
        window.setTimeout(function () { label.textContent = before; }, 2000);
      }
      toast("Copied to the clipboard.", "success");
    }, function () {
      if (source.select) source.select();
      toast("Could not copy; the text is selected, copy it with your keyboard.", "warning");
    });
  });

  /* ---------- Navigation drawer (narrow screens) ---------- */

  function setNavOpen(open) {
    if (open) root.setAttribute("data-nav-open", "");
    else root.removeAttribute("data-nav-open");
    document.querySelectorAll("[data-nav-toggle]").forEach(function (b) {
      b.setAttribute("aria-expanded", open ? "true" : "false");
      b.setAttribute("aria-label", open ? "Close navigation" : "Open navigation");
    });
    if (open) {
      var first = document.querySelector("#sidebar a, #sidebar [tabindex]");
      if (first) first.focus();
    }
  }

  document.addEventListener("click", function (e) {
    var t = e.target;
    if (!(t instanceof Element)) return;
    if (t.closest("[data-nav-toggle]")) {
      setNavOpen(!root.hasAttribute("data-nav-open"));
    } else if (t.closest("[data-nav-close]")) {
      setNavOpen(false);
    } else if (t.closest("[data-theme-toggle]")) {
      setTheme(currentTheme() === "dark" ? "light" : "dark");
    }
  });

  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && root.hasAttribute("data-nav-open")) {
      setNavOpen(false);
      var toggle = document.querySelector("[data-nav-toggle]");
      if (toggle) toggle.focus();
    }
  });

  /* ---------- htmx: live regions and failed requests ---------- */

  function liveRegion(e) {
    var elt = e.detail && e.detail.elt;
    return elt instanceof Element ? elt.closest("[data-live]") : null;
  }

  document.addEventListener("htmx:sendError", function (e) {
    var live = liveRegion(e);
    if (live) live.setAttribute("data-stale", "");
    else toast("Could not reach Kite. Check your connection and try again.", "error");
  });

  document.addEventListener("htmx:responseError", function (e) {
    var live = liveRegion(e);
    if (live) {
      live.setAttribute("data-stale", "");
      return;
    }
    // A server that explained the failure with its own toast has said enough.
    var xhr = e.detail && e.detail.xhr;
    var trigger = xhr ? xhr.getResponseHeader("HX-Trigger") || "" : "";
    if (trigger.indexOf("kite:toast") === -1) {
      toast("That did not work (the server answered " + (xhr ? xhr.status : "with an error") + "). Try again.", "error");
    }
  });

  document.addEventListener("htmx:afterRequest", function (e) {
    var live = liveRegion(e);
    if (live && e.detail && e.detail.successful) live.removeAttribute("data-stale");
  });

  document.addEventListener("DOMContentLoaded", syncThemeButtons);

  // toastAction puts a button (an Undo) on toast t; only the latest toast
  // keeps one. fn returns a promise: when it settles well the toast
  // closes, when it fails its message is shown.
  function toastAction(t, label, fn) {
    if (!t) return;
    document.querySelectorAll("#toasts .toast-action").forEach(function (b) { b.remove(); });
    var btn = document.createElement("button");
    btn.type = "button";
    btn.className = "btn btn-secondary btn-sm toast-action";
    btn.textContent = label;
    btn.addEventListener("click", function () {
      btn.disabled = true;
      Promise.resolve(fn()).then(function () {
        var close = t.querySelector(".toast-close");
        if (close) close.click();
      }, function (err) { toast(err.message, "error"); });
    });
    t.insertBefore(btn, t.querySelector(".toast-close"));
  }

  /* ---------- Live updates ---------- */

  /*
   * One realtime socket per page, for every script that follows events (the
   * board, a contact's page, the inbox) and for the navigation's counts. It
   * asks for the events since the page was drawn (body[data-since]) and,
   * after a reconnect, since the last one it got; a repeated event id is
   * dropped. A lost connection retries with backoff.
   */
  var live = (function () {
    var frameFns = [], openFns = [], stateFns = [];
    var socket = null, orgID = "", lastID = "", backoff = 500, opens = 0;
    var seen = [], seenSet = {};

    function fresh(id) {
      if (seenSet[id]) return false;
      seenSet[id] = true;
      seen.push(id);
      if (seen.length > 2000) delete seenSet[seen.shift()];
      return true;
    }

    function emit(fns, arg) {
      fns.forEach(function (fn) {
        try { fn(arg); } catch (err) { window.console && console.error(err); }
      });
    }

    function connect() {
      var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/v1/realtime?org_id=" +
        encodeURIComponent(orgID) + (lastID ? "&since=" + encodeURIComponent(lastID) : "");
      socket = new WebSocket(url);
      socket.addEventListener("open", function () {
        backoff = 500;
        opens++;
        emit(stateFns, true);
        emit(openFns, opens > 1);
      });
      socket.addEventListener("message", function (e) {
        var m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        if (m.id) {
          if (!fresh(m.id)) return;
          lastID = m.id;
        }
        emit(frameFns, m);
      });
      socket.addEventListener("close", function () {
        socket = null;
        emit(stateFns, false);
        var wait = backoff + Math.floor(Math.random() * 250);
        backoff = Math.min(backoff * 2, 10000);
        window.setTimeout(connect, wait);
      });
    }

    return {
      // start connects once per page, in the org the page acts in.
      start: function (org, since) {
        if (orgID || !org || !("WebSocket" in window)) return;
        orgID = org;
        lastID = since || "";
        connect();
      },
      // on calls fn with every new frame {type, data, id, subject}.
      on: function (fn) { frameFns.push(fn); },
      // onOpen calls fn(reconnected) each time the socket opens.
      onOpen: function (fn) { openFns.push(fn); },
      // onState calls fn(connected) as the connection comes and goes.
      onState: function (fn) { stateFns.push(fn); },
      // send sends a frame when connected, and says whether it did.
      send: function (frame) {
        if (!socket || socket.readyState !== 1) return false;
        socket.send(JSON.stringify(frame));
        return true;
      },
      connected: function () { return !!socket && socket.readyState === 1; }
    };
  })();

  /*
   * Navigation counts (the inbox's unread messages) follow the events named
   * by their item's data-counter-on, and the tab title starts with the
   * unread total: "(3) Deals · Kite".
   */
  var baseTitle = "";   // the page's title without the count, set when it loads
  var counterTimers = {};

  function setTitle(title) {
    baseTitle = title;
    showUnread();
  }

  function showUnread() {
    var n = 0;
    document.querySelectorAll(".nav-count[data-unread]").forEach(function (el) {
      n += Number(el.getAttribute("data-unread") || 0);
    });
    document.title = (n > 0 ? "(" + (n > 999 ? "999+" : n) + ") " : "") + baseTitle;
  }

  // fragment fetches a piece of a page as htmx would, as text.
  function fragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (res) {
      if (!res.ok) throw new Error("Kite answered " + res.status + ".");
      return res.text();
    });
  }

  function refreshCounter(item) {
    var url = item.getAttribute("data-counter");
    window.clearTimeout(counterTimers[url]);
    counterTimers[url] = window.setTimeout(function () {
      fragment(url).then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html").body.firstElementChild;
        var now = item.querySelector(".nav-count");
        if (next && now) now.replaceWith(document.importNode(next, true));
        showUnread();
      }, function () { /* the next event tries again */ });
    }, 200);
  }

  function refreshCounters(type) {
    document.querySelectorAll(".nav-item[data-counter]").forEach(function (item) {
      var on = (item.getAttribute("data-counter-on") || "").split(" ");
      if (type === "*" || on.indexOf(type) >= 0) refreshCounter(item);
    });
  }

  live.on(function (m) { refreshCounters(m.type || ""); });
  // body[data-live] says whether updates are flowing (styles and tests).
  live.onState(function (on) { document.body.setAttribute("data-live", String(on)); });
  // After a lost connection the count may have moved more than replayed.
  live.onOpen(function (reconnected) { if (reconnected) refreshCounters("*"); });

  document.addEventListener("htmx:afterSettle", function (e) {
    var t = e.detail && e.detail.target;
    if (t && t.classList && t.classList.contains("nav-count")) showUnread();
  });

  document.addEventListener("DOMContentLoaded", function () {
    baseTitle = document.title;
    live.start(document.body.getAttribute("data-org"), document.body.getAttribute("data-since"));
  });

  window.kite = {
    toast: toast,
    toastAction: toastAction,
    openDialog: openDialog,
    closeDialog: closeDialog,
    confirm: confirmAction,
    setTheme: setTheme,
    theme: currentTheme,
    live: live,
    fragment: fragment,
    setTitle: setTitle,
    refreshCounts: function () { refreshCounters("*"); }
  };
})();

/* ---------- Global search ---------- */

/*
 * The top bar's search (form[data-search]) is an ARIA combobox: htmx swaps
 * the options into its listbox as one types; this block opens and closes
 * the listbox, moves the active option with ArrowDown/ArrowUp (focus stays
 * in the input, aria-activedescendant names the option), opens it with
 * Enter and closes the list with Escape. "/" focuses the box unless one is
 * typing in a field. Enter with no active option submits the form: the
 * full results page.
 */
(function () {
  "use strict";

  function searchParts(el) {
    var form = el instanceof Element ? el.closest("form[data-search]") : null;
    if (!form) return null;
    return { form: form, input: form.querySelector("[role=combobox]"), list: form.querySelector("[role=listbox]") };
  }

  function choosable(p) {
    return Array.prototype.filter.call(p.list.querySelectorAll("[role=option]"), function (o) {
      return o.getAttribute("aria-disabled") !== "true";
    });
  }

  function activeOption(p) {
    return p.list.hidden ? null : p.list.querySelector("[role=option][aria-selected=true]");
  }

  function setActive(p, option) {
    var old = p.list.querySelector("[role=option][aria-selected=true]");
    if (old) old.setAttribute("aria-selected", "false");
    if (!option) {
      p.input.removeAttribute("aria-activedescendant");
      return;
    }
    option.setAttribute("aria-selected", "true");
    p.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function setOpen(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(p, null);
  }

  // move steps the active option, wrapping around at either end.
  function move(p, step) {
    var options = choosable(p);
    if (!options.length) return;
    setOpen(p, true);
    var at = options.indexOf(activeOption(p));
    var next = at === -1 ? (step > 0 ? 0 : options.length - 1) : (at + step + options.length) % options.length;
    setActive(p, options[next]);
  }

  function typingInField(t) {
    return t instanceof Element && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }

  document.addEventListener("keydown", function (e) {
    if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !typingInField(e.target) && !document.querySelector("dialog[open]")) {
      var box = document.querySelector("form[data-search] [role=combobox]");
      if (!box) return;
      e.preventDefault();
      box.focus();
      box.select();
      return;
    }
    var p = searchParts(e.target);
    if (!p || e.target !== p.input) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      move(p, e.key === "ArrowDown" ? 1 : -1);
    } else if (e.key === "Enter") {
      var option = activeOption(p);
      if (option && option.href) {
        e.preventDefault();
        window.location.assign(option.href);
      }
    } else if (e.key === "Escape" && !p.list.hidden) {
      e.preventDefault(); // keeps the typed text, which a search input would clear
      setOpen(p, false);
    }
  });

  // New options arrived (or none, for an empty query): show them to
  // someone still in the box.
  document.addEventListener("htmx:afterSwap", function (e) {
    var p = searchParts(e.detail && e.detail.target);
    if (!p || e.detail.target !== p.list) return;
    setActive(p, null);
    setOpen(p, p.list.children.length > 0 && document.activeElement === p.input);
  });

  document.addEventListener("focusin", function (e) {
    var p = searchParts(e.target);
    if (p && e.target === p.input && p.input.value && p.list.children.length > 0) setOpen(p, true);
  });

  // Tabbing away or clicking elsewhere closes the list; a click on an
  // option is inside the form and follows its link.
  document.addEventListener("focusout", function (e) {
    var p = searchParts(e.target);
    if (p && e.relatedTarget instanceof Element && !p.form.contains(e.relatedTarget)) setOpen(p, false);
  });
  document.addEventListener("click", function (e) {
    document.querySelectorAll("form[data-search]").forEach(function (form) {
      var p = searchParts(form);
      if (p && !p.list.hidden && !(e.target instanceof Node && form.contains(e.target))) setOpen(p, false);
    });
  });

  // Pointing at an option makes it the active one, so the keyboard goes
  // on from there.
  document.addEventListener("mousemove", function (e) {
    var option = e.target instanceof Element ? e.target.closest("form[data-search] [role=option]") : null;
    var p = option && searchParts(option);
    if (p && option.getAttribute("aria-disabled") !== "true" && option !== activeOption(p)) setActive(p, option);
  });
})();

/*
 * Row selection for bulk actions. A table's [data-select-all] checkbox
 * checks or clears every [data-select-row] in it, and is itself checked,
 * mixed or clear as the rows are. The bulk bar's [data-bulk-count] says how
 * many rows are selected (data-noun / data-plural name them), and the bar
 * gets data-selected while any are. Rows added by "load more" count too.
 */
(function () {
  "use strict";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.querySelectorAll("[data-select-row]"));
  }

  function sync(table) {
    var rows = rowsOf(table);
    var checked = rows.filter(function (r) { return r.checked; }).length;
    var all = table.querySelector("[data-select-all]");
    if (all) {
      all.checked = rows.length > 0 && checked === rows.length;
      all.indeterminate = checked > 0 && checked < rows.length;
    }
    var formID = rows.length ? rows[0].getAttribute("form") : null;
    var bar = formID ? document.getElementById(formID) : null;
    if (!bar) return;
    var count = bar.querySelector("[data-bulk-count]");
    if (count && checked > 0) {
      count.textContent = checked + " " + (checked === 1 ? count.getAttribute("data-noun") : count.getAttribute("data-plural")) + " selected";
    } else if (count) {
      count.textContent = "No " + count.getAttribute("data-plural") + " selected";
    }
    if (checked > 0) bar.setAttribute("data-selected", "");
    else bar.removeAttribute("data-selected");
  }

  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!(t instanceof HTMLInputElement)) return;
    var table = t.closest("table");
    if (!table) return;
    if (t.hasAttribute("data-select-all")) {
      rowsOf(table).forEach(function (r) { r.checked = t.checked; });
      sync(table);
    } else if (t.hasAttribute("data-select-row")) {
      sync(table);
    }
  });

  // New rows arrive unselected: the select-all box may no longer be all.
  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("table [data-select-all]").forEach(function (all) { sync(all.closest("table")); });
  });
})();
