package app

import (
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// An admin connects a Telegram bot in the browser, a customer writes to
// it, and the chat with its new contact is there; then the admin
// disconnects the bot after confirming.
func TestBrowserConnectTelegramBot(t *testing.T) {
	t.Parallel()
	tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
	t.Cleanup(tg.Close)
	cfg := testConfig(t, dbtest.New(t, db.SQLite, true))
	cfg.TelegramAPIURL, cfg.TelegramUpdates = tg.URL(), "webhook"
	a := startApp(t, cfg)
	acc := newClient(t, a).signUp("desk@example.com", "Desk")
	c := newClient(t, a).as(acc.Access, acc.OrgID)
	token := "5150:AAH" + strings.Repeat("b", 32)
	tg.AddBot(token, "desk_helper_bot")

	u := newUITab(t, a)
	u.signIn("desk@example.com", testPassword, "/")
	u.open("/settings/channels")
	u.mustSee("main", "No bot connected yet")
	u.fill("#bot-token", "not a token")
	u.click("#connect-telegram button[type=submit]")
	u.waitFor("the token error", `document.querySelector("#connect-telegram").textContent.includes("This is not a bot token")`)
	u.fill("#bot-token", token)
	u.click("#connect-telegram button[type=submit]")
	u.toastSays("Connected @desk_helper_bot")
	u.mustSee(`tr[data-channel="desk_helper_bot"]`, "Connected", "Webhook")

	tg.UserSays(token, telegramtest.User{ID: 4242, FirstName: "Gia", Username: "gia_buys"}, "Do you ship to Norway?")
	var chat map[string]any
	eventually(t, 10*time.Second, func() string {
		if list := c.must(200, "GET", "/chats", nil).Items(); len(list) == 1 {
			chat = list[0]
			return ""
		}
		return "no chat yet"
	})
	u.open("/contacts/" + chat["contact_id"].(string))
	u.mustSee("main", "Gia", "created this contact")
	if got := u.eval(`document.querySelector('input[name="telegram_username"]').value`); got != "gia_buys" {
		t.Errorf("the contact's Telegram username is %q", got)
	}

	u.open("/settings/channels")
	u.click(`tr[data-channel="desk_helper_bot"] button[type=submit]`)
	u.waitFor("the confirmation", `document.getElementById("kite-confirm").open`)
	u.mustSee("#kite-confirm", "Disconnect @desk_helper_bot?")
	u.click("#kite-confirm .btn-danger")
	u.toastSays("Disconnected")
	u.mustSee("main", "No bot connected yet")
	u.noPageErrors()
}
