/*
 * The deal board: drag and drop between and within columns (SortableJS),
 * the same moves from the keyboard (Alt + arrows on a focused card) and
 * from each card's Move menu, an undo toast after every move, and live
 * updates: the board listens on the realtime socket and reloads itself
 * (through htmx) when a teammate moves, adds or changes a deal of this
 * pipeline. Moves go to the JSON API, PATCH /api/v1/deals/{id}/stage,
 * with the session cookie; the server picks the rank between the new
 * neighbours, so two people moving cards at once never collide.
 *
 * The pipeline settings page uses the same file to drag stages into order.
 */
(function () {
  "use strict";

  var dragging = false;
  var stale = false;
  var refreshTimer = null;

  function board() { return document.getElementById("board"); }

  function toast(message, kind) {
    return window.kite ? window.kite.toast(message, kind) : null;
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (el) { return el.classList.contains("deal-card"); });
  }

  // where says where a card sits now: its column and a neighbour.
  function where(card) {
    var list = card.parentElement;
    var cards = cardsOf(list);
    var i = cards.indexOf(card);
    var place = { stage_id: list.getAttribute("data-stage") };
    if (i + 1 < cards.length) place.before_id = cards[i + 1].getAttribute("data-deal");
    else if (i > 0) place.after_id = cards[i - 1].getAttribute("data-deal");
    return place;
  }

  function api(method, path, body) {
    var b = board();
    return fetch("/api/v1" + path, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-Org-ID": b ? b.getAttribute("data-org") : "" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(data.detail || "The move did not go through (" + res.status + ").");
        return data;
      });
    });
  }

  function stageName(id) {
    var list = document.querySelector('.board-cards[data-stage="' + id + '"]');
    return list ? list.getAttribute("data-stage-name") : "another stage";
  }

  // move sends a card to place and offers to undo it (back to from).
  function move(card, place, from, undoable) {
    var id = card.getAttribute("data-deal");
    var title = card.getAttribute("data-title");
    return api("PATCH", "/deals/" + id + "/stage", place).then(function () {
      var same = from && from.stage_id === place.stage_id;
      var msg = same ? "Moved " + title + " within " + stageName(place.stage_id) + "." : "Moved " + title + " to " + stageName(place.stage_id) + ".";
      var t = toast(msg, "success");
      if (undoable && from && t) addUndo(t, card, from);
      refresh();
    }, function (err) {
      toast(err.message, "error");
      refresh();
    });
  }

  // addUndo offers to undo the latest move only: older toasts lose their button.
  function addUndo(t, card, from) {
    window.kite.toastAction(t, "Undo", function () {
      return api("PATCH", "/deals/" + card.getAttribute("data-deal") + "/stage", from).then(function () {
        toast("Move undone.", "info");
        refresh();
      });
    });
  }

  // refresh reloads the board through htmx; the focused card keeps the
  // focus across the swap (see htmx:beforeSwap below).
  function refresh() {
    var b = board();
    if (!b || !window.htmx) return;
    if (dragging) { stale = true; return; }
    window.htmx.trigger(b, "kite:board-refresh");
  }
  var pendingFocus = null;

  document.addEventListener("htmx:beforeSwap", function (e) {
    var target = e.detail && e.detail.target;
    if (!target || target.id !== "board") return;
    if (dragging) { e.detail.shouldSwap = false; stale = true; return; }
    var el = document.activeElement;
    var card = el && el.closest ? el.closest(".deal-card") : null;
    pendingFocus = card && target.contains(card) ? card.getAttribute("data-deal") : null;
  });

  function scheduleRefresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(function () { refresh(); }, 120);
  }

  function initBoard(root) {
    if (!root || !window.Sortable || root.getAttribute("data-can-write") !== "true") return;
    root.querySelectorAll(".board-cards").forEach(function (list) {
      var from = null;
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card",
        filter: ".board-more, .deal-menu, a, button",
        preventOnFilter: false,
        animation: 120,
        ghostClass: "deal-card-ghost",
        // Pointer events rather than native drag and drop: the same
        // behaviour in every browser, touch screens included.
        forceFallback: true,
        fallbackTolerance: 4,
        onStart: function (evt) { dragging = true; from = where(evt.item); },
        onEnd: function (evt) {
          dragging = false;
          if (evt.from === evt.to && evt.oldIndex === evt.newIndex) {
            if (stale) { stale = false; refresh(); }
            return;
          }
          move(evt.item, where(evt.item), from, true);
        }
      });
    });
    if (pendingFocus) {
      var card = document.getElementById("deal-" + pendingFocus);
      if (card) card.focus();
      pendingFocus = null;
    }
  }

  // Keyboard: Alt + arrows move the focused card.
  document.addEventListener("keydown", function (e) {
    if (!e.altKey || ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"].indexOf(e.key) < 0) return;
    var card = e.target instanceof Element && e.target.classList.contains("deal-card") ? e.target : null;
    var b = board();
    if (!card || !b || b.getAttribute("data-can-write") !== "true") return;
    e.preventDefault();
    var from = where(card);
    var list = card.parentElement;
    var cards = cardsOf(list);
    var i = cards.indexOf(card);
    if (e.key === "ArrowUp" || e.key === "ArrowDown") {
      var j = e.key === "ArrowUp" ? i - 1 : i + 1;
      if (j < 0 || j >= cards.length) return;
      if (e.key === "ArrowUp") list.insertBefore(card, cards[j]);
      else list.insertBefore(card, cards[j].nextSibling);
    } else {
      var lists = Array.prototype.slice.call(b.querySelectorAll(".board-cards"));
      var k = lists.indexOf(list) + (e.key === "ArrowLeft" ? -1 : 1);
      if (k < 0 || k >= lists.length) return;
      var target = lists[k];
      var first = cardsOf(target)[0];
      target.insertBefore(card, first || target.firstChild);
    }
    card.focus();
    move(card, where(card), from, true);
  });

  // The card menu's moves, without leaving the page.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-move") || !board()) return;
    var card = form.closest(".deal-card");
    if (!card) return;
    e.preventDefault();
    var place = { stage_id: form.elements.stage_id.value };
    if (form.elements.before_id) place.before_id = form.elements.before_id.value;
    if (form.elements.after_id) place.after_id = form.elements.after_id.value;
    var menu = form.closest("details");
    if (menu) menu.open = false;
    move(card, place, where(card), true);
  });

  // The pipeline switcher opens the chosen pipeline at once.
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t instanceof HTMLSelectElement && t.hasAttribute("data-autosubmit") && t.form) t.form.requestSubmit();
  });

  // Live updates from teammates, on the page's shared socket.
  function follow(m) {
    if (!/^(deal|stage|pipeline)\./.test(m.type || "")) return;
    var cur = board();
    var pid = m.data && m.data.pipeline_id;
    if (cur && (!pid || pid === cur.getAttribute("data-pipeline"))) scheduleRefresh();
  }

  // Stage order on the settings page.
  function initStages(list) {
    if (!list || !window.Sortable || !list.querySelector(".stage-handle")) return;
    window.Sortable.create(list, {
      handle: ".stage-handle",
      animation: 120,
      forceFallback: true,
      fallbackTolerance: 4,
      onEnd: function (evt) {
        if (evt.oldIndex === evt.newIndex) return;
        var body = new URLSearchParams();
        list.querySelectorAll("[data-stage-id]").forEach(function (li) { body.append("stage_id", li.getAttribute("data-stage-id")); });
        fetch(list.getAttribute("data-stage-order"), {
          method: "POST", credentials: "same-origin", body: body,
          headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" }
        }).then(function (res) {
          // The server leaves its toast for the reloaded page, whose Up and
          // Down buttons then match the new order.
          location.reload();
        });
      }
    });
  }

  document.addEventListener("htmx:load", function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.id === "board") initBoard(elt);
  });

  document.addEventListener("DOMContentLoaded", function () {
    initBoard(board());
    initStages(document.getElementById("stage-list"));
    if (board() && window.kite) window.kite.live.on(follow);
  });
})();
