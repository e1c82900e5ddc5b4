package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/browsertest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// press clicks the element sel in the page's own script: parts of the
// inbox are redrawn as events arrive, which can swap a node out from
// under a click sent by the browser driver.
func (u *uiTab) press(sel string) {
	u.t.Helper()
	u.waitFor(sel, `document.querySelector(`+jsString(sel)+`)`)
	u.eval(`document.querySelector(` + jsString(sel) + `).click()`)
}

// keys types into the focused element (or the page).
func (u *uiTab) keys(k string) {
	u.t.Helper()
	u.do(chromedp.KeyEvent(k))
}

// inboxWithCustomer starts Kite with a bot that customer has written
// first to, and an owner's browser on that chat with its socket live.
func inboxWithCustomer(t *testing.T, botID int, botName string, customer telegramtest.User, first string) (k *tgKite, token, chatID string, u *uiTab) {
	t.Helper()
	k = startTelegramKite(t, dbtest.New(t, db.SQLite, true), "webhook")
	token, _ = k.connectBot(t, botID, botName)
	k.tg.UserSays(token, customer, first)
	k.waitDelivered(t, token)
	chatID = k.firstChat(t)
	u = newUITab(t, k.app)
	u.signIn("owner@example.com", testPassword, "/")
	u.open("/inbox/" + chatID)
	u.waitFor("the socket", `document.getElementById("inbox").dataset.live === "true"`)
	return k, token, chatID, u
}

// Two people work one inbox in two browsers while the fake Bot API plays
// the customer: each sees the other online, typing, replying and taking
// the chat, and the customer's messages arrive without a reload.
func TestBrowserInboxTwoAgents(t *testing.T) {
	t.Parallel()
	k := startTelegramKite(t, dbtest.New(t, db.SQLite, true), "webhook")
	token, _ := k.connectBot(t, 1909, "acme_two_bot")
	bea := k.api.signUp("bea@example.com", "")
	owner := org.Actor{UserID: k.admin.UserID, Name: "Owner", OrgID: k.admin.OrgID, Role: org.Owner}
	if _, err := k.app.Orgs.AddMember(context.Background(), owner, "bea@example.com", org.Member); err != nil {
		t.Fatal(err)
	}
	customer := telegramtest.User{ID: 8801, FirstName: "Nils", LastName: "Berg"}
	k.tg.UserSays(token, customer, "Hi, is the Pro plan available?")
	k.waitDelivered(t, token)
	chatID := k.firstChat(t)

	ana := newUITab(t, k.app)
	ana.signIn("owner@example.com", testPassword, "/")
	ana.open("/inbox")
	ana.mustSee("#chat-list", "Nils Berg", "is the Pro plan available?")
	ana.waitFor("the unread count in the title", `document.title.startsWith("(1) ")`)
	ana.press("#chat-row-" + chatID)
	ana.waitFor("the chat to open", `location.pathname === "/inbox/`+chatID+`" && document.querySelector("#chat-title")`)
	ana.mustSee("#messages", "New messages", "Hi, is the Pro plan available?")
	ana.waitFor("the chat read", `!document.querySelector("#chat-row-`+chatID+` .unread-badge") && !document.title.startsWith("(")`)

	bee := newUITab(t, k.app)
	bee.signIn(bea.Email, testPassword, "/")
	bee.open("/inbox")
	bee.keys("j") // the first chat, from the keyboard
	bee.waitFor("j to open the chat", `location.pathname === "/inbox/`+chatID+`"`)

	// Presence: each sees the other online.
	ana.waitFor("Bea online", `[...document.querySelectorAll("#presence .presence-member")].some(e => e.title.includes("bea@example.com"))`)
	bee.waitFor("the owner online", `[...document.querySelectorAll("#presence .presence-member")].some(e => e.title.includes("owner@example.com"))`)

	// Ana types (showing the customer the bot typing, as she opted in):
	// Bea sees it; Ana sends with Enter: Bea sees the answer.
	ana.click("#composer-bot-typing")
	ana.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "Yes, it is"))
	eventually(t, 5*time.Second, func() string {
		for _, c := range k.tg.Calls(token) {
			if c.Method == "sendChatAction" {
				return ""
			}
		}
		return "the customer never saw the bot typing"
	})
	bee.waitFor("the typing notice", `document.getElementById("typing").textContent.includes("is typing")`)
	bee.mustSee("#typing", "owner@example.com")
	ana.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), " - shall I send a quote?"+kb.Enter))
	ana.waitFor("the answer sent", `[...document.querySelectorAll(".msg-out")].some(m => m.textContent.includes("shall I send a quote?") && m.dataset.status === "sent")`)
	if got := ana.eval(`document.getElementById("composer-text").value`); got != "" {
		t.Errorf("the composer kept %q after sending", got)
	}
	bee.waitFor("the teammate's answer", `document.getElementById("messages").textContent.includes("shall I send a quote?")`)
	eventually(t, 10*time.Second, func() string {
		for _, m := range k.tg.Sent(token) {
			if m.Text == "Yes, it is - shall I send a quote?" {
				return ""
			}
		}
		return "Telegram did not get the answer"
	})
	if n := ana.eval(`document.querySelectorAll(".msg-out").length`); n != "1" {
		t.Errorf("the answer is drawn %s times in the sender's window", n)
	}

	// The customer answers: both windows show it at once, once.
	k.tg.UserSays(token, customer, "Yes please, for 12 seats")
	for _, u := range []*uiTab{ana, bee} {
		u.waitFor("the customer's reply", `document.getElementById("messages").textContent.includes("for 12 seats")`)
	}
	if n := bee.eval(`[...document.querySelectorAll(".msg-in")].filter(m => m.textContent.includes("for 12 seats")).length`); n != "1" {
		t.Errorf("the customer's reply is drawn %s times", n)
	}

	// Ana gives the chat to Bea in the context panel: Bea's header follows.
	ana.waitFor("the context panel", `document.getElementById("ctx-assignee")`)
	ana.do(chromedp.SetValue(chromedp.CSS("#ctx-assignee"), bea.UserID))
	ana.eval(`document.getElementById("ctx-assignee").dispatchEvent(new Event("change", {bubbles: true}))`)
	bee.waitFor("the assignment", `document.getElementById("chat-header").textContent.includes("Assigned to User bea@example.com")`)
	bee.waitFor("the teammate still shown in the redrawn header", `[...document.querySelectorAll("#presence .presence-member")].some(e => e.title.includes("owner@example.com"))`)

	// A draft stays with its chat across a reload.
	bee.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "draft for Nils"))
	// Saved after a pause in typing, which a busy machine can stretch.
	bee.waitFor("the draft saved", `localStorage.getItem("kite.draft.`+chatID+`") === "draft for Nils"`)
	bee.open("/inbox/" + chatID)
	bee.waitFor("the draft", `document.getElementById("composer-text").value === "draft for Nils"`)

	// Reply to a message from its button.
	bee.eval(`document.querySelector(".msg-in [data-reply]").click()`)
	bee.waitFor("the reply preview", `!document.getElementById("reply-preview").hidden`)
	bee.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), kb.Enter))
	bee.waitFor("the reply with its quote", `[...document.querySelectorAll(".msg-out")].some(m => m.querySelector(".msg-quote") && m.textContent.includes("draft for Nils"))`)
	ana.waitFor("the reply in the other window", `[...document.querySelectorAll(".msg-out")].some(m => m.querySelector(".msg-quote") && m.textContent.includes("draft for Nils"))`)

	// / searches; e closes the chat, which the other window shows.
	ana.eval(`document.activeElement && document.activeElement.blur()`)
	ana.keys("/")
	if id := ana.eval(`document.activeElement.id`); id != "inbox-search" {
		t.Errorf("/ focused %q", id)
	}
	ana.eval(`document.activeElement.blur()`)
	ana.keys("e")
	ana.toastSays("Chat closed.")
	bee.waitFor("the closed badge", `document.getElementById("chat-header").textContent.includes("Closed")`)

	// Bea watches the contact's page while Ana opens a deal from the inbox
	// and the customer writes again: the page follows without a reload.
	contactID := bee.eval(`document.getElementById("chat").dataset.contact`)
	bee.open("/contacts/" + contactID)
	bee.waitFor("the live page", `document.getElementById("record-layout").dataset.live === "true"`)
	// Bea left the inbox: Ana sees her go at once, not when her heartbeat
	// (70 s) runs out.
	ana.waitFor("Bea gone from the inbox", `![...document.querySelectorAll("#presence .presence-member")].some(e => e.title.includes("bea@example.com"))`)
	ana.waitFor("the panel after closing", `document.getElementById("context-panel").textContent.includes("Reopen the chat")`)
	time.Sleep(500 * time.Millisecond) // the close's own event may redraw the panel once more
	ana.eval(`[...document.querySelectorAll("#context-panel details")].forEach(d => d.open = true)`)
	ana.fill("#ctx-deal-title", "Pro for 12 seats")
	ana.press("#context-panel form[hx-post$='/deals'] button[type=submit]")
	bee.waitFor("the new deal on the contact's page", `document.getElementById("deals").textContent.includes("Pro for 12 seats")`)
	k.tg.UserSays(token, customer, "And an invoice, please")
	bee.waitFor("the message in the activity", `document.getElementById("activity").textContent.includes("And an invoice, please")`)
	bee.open("/inbox/" + chatID)
	ana.waitFor("Bea back", `[...document.querySelectorAll("#presence .presence-member")].some(e => e.title.includes("bea@example.com"))`)

	browsertest.Axe(t, ana.ctx, "inbox with an open chat")
	ana.open("/inbox")
	browsertest.Axe(t, ana.ctx, "inbox list")
	ana.noPageErrors()
	bee.noPageErrors()
	if !strings.HasPrefix(ana.eval("document.title"), "Inbox") {
		t.Errorf("title %q", ana.eval("document.title"))
	}
}

// The socket drops (here: the server closes it) while the customer
// writes; the page reconnects, replays what it missed and shows each
// message once. On a narrow screen the inbox shows one pane at a time.
func TestBrowserInboxCatchesUpAndFolds(t *testing.T) {
	t.Parallel()
	customer := telegramtest.User{ID: 8802, FirstName: "Ivo"}
	k, token, chatID, u := inboxWithCustomer(t, 1910, "acme_fold_bot", customer, "first")
	for i, text := range []string{"second", "third"} {
		k.app.revokeRealtime(k.admin.OrgID, k.admin.UserID) // every socket of the owner closes
		u.waitFor("the lost connection shown", `document.getElementById("inbox").dataset.live === "false" && !document.getElementById("inbox-offline").hidden`)
		k.tg.UserSays(token, customer, text)
		k.waitDelivered(t, token)
		u.waitFor("the message sent while disconnected", `document.getElementById("messages").textContent.includes("`+text+`")`)
		if n := u.eval(`[...document.querySelectorAll(".msg-in .msg-text")].filter(m => m.textContent === "` + text + `").length`); n != "1" {
			t.Errorf("round %d: %q drawn %s times", i, text, n)
		}
		u.waitFor("the connection back", `document.getElementById("inbox").dataset.live === "true" && document.getElementById("inbox-offline").hidden`)
	}

	// e closes the chat; the toast's Undo opens it again.
	u.eval(`document.activeElement && document.activeElement.blur()`)
	u.keys("e")
	u.toastSays("Chat closed.")
	u.click("#toasts .toast-action")
	u.toastSays("Chat reopened.")
	if st := k.c.must(200, "GET", "/chats/"+chatID, nil).Str("status"); st != "open" {
		t.Errorf("after Undo the chat is %s", st)
	}

	u.do(chromedp.EmulateViewport(600, 900))
	u.open("/inbox/" + chatID)
	if got := u.eval(`getComputedStyle(document.querySelector(".inbox-list")).display`); got != "none" {
		t.Errorf("narrow screen with a chat open shows the list (%s)", got)
	}
	u.press(".chat-back")
	u.waitPage("/inbox")
	if got := u.eval(`getComputedStyle(document.querySelector(".inbox-list")).display`); got == "none" {
		t.Error("narrow screen without a chat hides the list")
	}
	if got := u.eval(`getComputedStyle(document.querySelector(".inbox-conversation")).display`); got != "none" {
		t.Errorf("narrow screen without a chat shows the empty conversation (%s)", got)
	}
	u.noPageErrors()
}

// A picture sent from the composer's file picker reaches Telegram and
// opens in the viewer; a message the customer's block refused says why
// and goes out with Retry once they unblock the bot; Shift+Enter breaks
// the line instead of sending.
func TestBrowserInboxFilesViewerAndRetry(t *testing.T) {
	t.Parallel()
	customer := telegramtest.User{ID: 8803, FirstName: "Eli"}
	k, token, _, u := inboxWithCustomer(t, 1911, "acme_files_bot", customer, "hello")
	pic := filepath.Join(t.TempDir(), "plan.png")
	if err := os.WriteFile(pic, tinyPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	u.do(chromedp.SetUploadFiles(chromedp.CSS("#composer-file"), []string{pic}))
	u.waitFor("the file chip", `document.getElementById("composer-files").textContent.includes("plan.png")`)
	u.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "our plan"))
	u.do(chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierShift)))
	u.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "see above"))
	if got := u.eval(`document.getElementById("composer-text").value`); got != "our plan\nsee above" {
		t.Errorf("Shift+Enter: the composer holds %q", got)
	}
	u.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), kb.Enter))
	u.waitFor("the picture sent", `[...document.querySelectorAll(".msg-out")].some(m => m.querySelector(".msg-photo img") && m.dataset.status === "sent")`)
	eventually(t, 10*time.Second, func() string {
		for _, m := range k.tg.Sent(token) {
			if m.Kind == "photo" && m.Caption == "our plan\nsee above" {
				return ""
			}
		}
		return "Telegram did not get the picture with its caption"
	})
	u.eval(`document.querySelector(".msg-out .msg-photo").click()`)
	u.waitFor("the viewer", `document.querySelector("dialog.viewer[open] img")`)
	u.keys(kb.Escape)
	u.waitFor("the viewer closed", `!document.querySelector("dialog.viewer")`)

	k.tg.BlockChat(token, customer.ID)
	u.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "are you there?"+kb.Enter))
	u.waitFor("the refusal", `[...document.querySelectorAll(".msg-out")].some(m => m.dataset.status === "failed" && m.querySelector("[data-retry]"))`)
	u.mustSee(`.msg-out[data-status="failed"] .msg-error`, "blocked")
	k.tg.UnblockChat(token, customer.ID)
	u.click(`.msg-out[data-status="failed"] [data-retry]`)
	u.waitFor("the retried message sent", `[...document.querySelectorAll(".msg-out")].some(m => m.textContent.includes("are you there?") && m.dataset.status === "sent")`)
	u.noPageErrors()
}

// Files reach the composer by pasting into it and by dropping them on the
// chat, as well as through the picker, and go out as documents.
func TestBrowserInboxPasteAndDropFiles(t *testing.T) {
	t.Parallel()
	customer := telegramtest.User{ID: 8804, FirstName: "Fay"}
	k, token, _, u := inboxWithCustomer(t, 1912, "acme_paste_bot", customer, "send me the files")

	// A paste of a file into the text box attaches it instead of pasting.
	pasted := u.eval(`(function () {
		const dt = new DataTransfer();
		dt.items.add(new File(["call notes"], "notes.txt", { type: "text/plain" }));
		const box = document.getElementById("composer-text");
		box.focus();
		const ev = new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true });
		box.dispatchEvent(ev);
		return ev.defaultPrevented;
	})()`)
	if pasted != "true" {
		t.Fatalf("the composer let the browser paste the file (defaultPrevented = %s)", pasted)
	}
	u.waitFor("the pasted file's chip", `document.getElementById("composer-files").textContent.includes("notes.txt")`)

	// Dragging a file over the chat marks the composer as the drop target;
	// dropping it attaches it.
	u.eval(`(function () {
		const dt = new DataTransfer();
		dt.items.add(new File(["%PDF-1.4 quote"], "quote.pdf", { type: "application/pdf" }));
		const chat = document.getElementById("chat");
		chat.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
		window.__dropTarget = document.getElementById("composer").classList.contains("drop-target");
		chat.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true;
	})()`)
	if u.eval(`window.__dropTarget`) != "true" {
		t.Error("dragging a file over the chat did not mark the composer as the drop target")
	}
	u.waitFor("the dropped file's chip", `document.getElementById("composer-files").textContent.includes("quote.pdf")`)
	if u.eval(`document.getElementById("composer").classList.contains("drop-target")`) != "false" {
		t.Error("the composer stayed marked as the drop target after the drop")
	}

	u.do(chromedp.SendKeys(chromedp.CSS("#composer-text"), "both attached"+kb.Enter))
	eventually(t, 10*time.Second, func() string {
		docs := 0
		for _, m := range k.tg.Sent(token) {
			if m.Kind == "document" {
				docs++
			}
		}
		if docs != 2 {
			return fmt.Sprintf("Telegram got %d documents, want 2", docs)
		}
		return ""
	})
	u.waitFor("the files cleared from the composer", `!document.getElementById("composer-files").textContent.includes("notes.txt")`)
	u.noPageErrors()
}

// Away from the inbox, the navigation's unread count and the tab title
// follow new messages and reads live, on any page.
func TestBrowserUnreadCountLiveOnEveryPage(t *testing.T) {
	t.Parallel()
	k := startTelegramKite(t, dbtest.New(t, db.SQLite, true), "webhook")
	token, _ := k.connectBot(t, 1913, "acme_count_bot")
	customer := telegramtest.User{ID: 8805, FirstName: "Gus"}

	u := newUITab(t, k.app)
	u.signIn("owner@example.com", testPassword, "/")
	u.open("/contacts")
	u.waitFor("the socket", `document.body.dataset.live === "true"`)
	if got := u.eval(`document.title`); strings.HasPrefix(got, "(") {
		t.Fatalf("title %q before any message", got)
	}

	k.tg.UserSays(token, customer, "hello?")
	k.tg.UserSays(token, customer, "anyone there?")
	k.waitDelivered(t, token)
	u.waitFor("two unread in the navigation", `document.querySelector("#nav-count-inbox").dataset.unread === "2"`)
	u.waitFor("the count in the tab title", `document.title.startsWith("(2) ")`)

	// Reading the chat elsewhere (here through the API) clears both.
	k.c.must(200, "PATCH", "/chats/"+k.firstChat(t)+"/read", nil)
	u.waitFor("no unread in the navigation", `document.querySelector("#nav-count-inbox").dataset.unread === "0"`)
	u.waitFor("the tab title without a count", `!document.title.startsWith("(")`)
	u.noPageErrors()
}
