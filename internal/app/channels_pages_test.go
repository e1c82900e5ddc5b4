package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kite-crm/kite/internal/app"
	"github.com/kite-crm/kite/internal/app/apptest"
	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/web/webtest"
)

// The channel settings page: connecting a bot by its token, the bot's
// status (also when broken), disconnecting, and read-only members.
func TestChannelSettingsPage(t *testing.T) {
	t.Parallel()
	for _, kind := range dbtest.Kinds(t) {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
			t.Cleanup(tg.Close)
			edit := []func(*config.Config){func(c *config.Config) { c.TelegramAPIURL, c.TelegramUpdates = tg.URL(), "webhook" }}
			if kind == db.Postgres {
				b := dbtest.New(t, db.Postgres, true)
				edit = append(edit, func(c *config.Config) { c.DatabaseURL = b.URL })
			}
			a := apptest.StartKite(t, edit...)
			channelSettings(t, a, tg)
		})
	}
}

func channelSettings(t *testing.T, a *app.App, tg *telegramtest.Server) {
	owner := signedUp(t, a, "owner@example.com", "Acme")
	p := okPage(t, owner, "/settings/channels")
	if !strings.Contains(p.Text("main"), "No bot connected yet") || p.Find("#connect-telegram") == nil {
		t.Fatalf("empty channels page:\n%s", p.Text("main"))
	}
	// A token that is not one, and one Telegram refuses: the form says why.
	p = owner.Post("/settings/channels/telegram", url.Values{"bot_token": {"my bot"}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#connect-telegram"), "This is not a bot token") {
		t.Fatalf("malformed token: %d\n%s", p.Status, p.Text("main"))
	}
	token := "4242:AAH" + strings.Repeat("z", 32)
	p = owner.Post("/settings/channels/telegram", url.Values{"bot_token": {token}})
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("#connect-telegram"), "does not accept this token") {
		t.Fatalf("unknown token: %d\n%s", p.Status, p.Text("main"))
	}
	if strings.Contains(p.Body, token) {
		t.Error("the refused form echoes the token back")
	}
	tg.AddBot(token, "acme_desk_bot")
	apptest.MustRedirect(t, owner.Post("/settings/channels/telegram", url.Values{"bot_token": {token}}), "/settings/channels")
	p = okPage(t, owner, "/settings/channels")
	row := p.Find(`tr[data-channel="acme_desk_bot"]`)
	if row == nil || !strings.Contains(webtest.Text(row), "Connected") || !strings.Contains(webtest.Text(row), "Webhook") {
		t.Fatalf("channels table:\n%s", p.Text("#channels"))
	}

	// A broken bot says why.
	chs, err := a.Inbox.Channels(context.Background(), orgOf(t, a, "owner@example.com"))
	if err != nil || len(chs) != 1 {
		t.Fatalf("channels = %v, %v", chs, err)
	}
	if err := a.Inbox.MarkBroken(context.Background(), chs[0], "Telegram no longer accepts the bot's token."); err != nil {
		t.Fatal(err)
	}
	p = okPage(t, owner, "/settings/channels")
	if row := webtest.Text(p.Find(`tr[data-channel="acme_desk_bot"]`)); !strings.Contains(row, "Broken") || !strings.Contains(row, "no longer accepts") {
		t.Fatalf("broken bot row: %s", row)
	}

	// Disconnecting asks first, then removes the bot and its webhook.
	form := p.Find(`tr[data-channel="acme_desk_bot"] form`)
	if !strings.Contains(webtest.Attr(form, "data-confirm"), "Disconnect @acme_desk_bot?") {
		t.Fatalf("disconnect form: %v", form)
	}
	apptest.MustRedirect(t, owner.Post(webtest.Attr(form, "action"), nil), "/settings/channels")
	if p = okPage(t, owner, "/settings/channels"); p.Find(`tr[data-channel="acme_desk_bot"]`) != nil {
		t.Fatal("a disconnected bot is still listed")
	}
	deleted := false
	for _, c := range tg.Calls(token) {
		deleted = deleted || c.Method == "deleteWebhook"
	}
	if !deleted {
		t.Error("disconnecting did not remove the webhook")
	}
}

// orgOf is the id of the only organization of a user.
func orgOf(t *testing.T, a *app.App, email string) string {
	t.Helper()
	var id string
	err := a.DB.NewSelect().Table("memberships").Column("memberships.org_id").
		Join("JOIN users ON users.id = memberships.user_id").Where("users.email = ?", email).Scan(context.Background(), &id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
