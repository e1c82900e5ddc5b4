package telegram

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/inbox"
	"github.com/kite-crm/kite/internal/org"
)

// ConnectInput is a bot token from BotFather.
type ConnectInput struct {
	BotToken string `json:"bot_token" maxLength:"200" doc:"The token BotFather gave, e.g. 123456789:AAE…"`
}

// RegisterAPI adds POST /integrations/telegram/connect (admins) and the
// webhook Telegram calls.
func (a *Adapter) RegisterAPI(api huma.API, g *org.Guard) {
	tag := []string{"Channels"}
	huma.Register(api, huma.Operation{OperationID: "connect-telegram", Method: http.MethodPost, Path: "/integrations/telegram/connect",
		Summary: "Connect a Telegram bot (admin)", DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.IntegrationsWrite),
		Description: "Checks the token with getMe, stores it sealed, and registers Kite's webhook with a random secret " +
			"(or uses long polling when Kite has no public https URL). Connecting the same bot again renews it."},
		func(ctx context.Context, in *struct{ Body ConnectInput }) (*struct{ Body inbox.ChannelRecord }, error) {
			a0, _ := org.ActorFrom(ctx)
			ch, err := a.Connect(ctx, a0, in.Body.BotToken)
			return &struct{ Body inbox.ChannelRecord }{ch}, err
		})
	huma.Register(api, huma.Operation{OperationID: "telegram-webhook", Method: http.MethodPost, Path: "/integrations/telegram/webhook",
		Summary: "Where Telegram delivers a bot's updates", Tags: tag, MaxBodyBytes: 1 << 20,
		Description: "Authenticated by the X-Telegram-Bot-Api-Secret-Token header set when the bot was connected; " +
			"401 without it. 200 only once the update is stored."},
		a.receiveWebhook)
}
