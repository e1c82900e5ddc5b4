package telegramtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

func TestGetMeDescribesTheBotNamedByTheToken(t *testing.T) {
	srv := newServer(t)
	me, err := newClient(t, srv, token).GetMe(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 123456 || !me.IsBot || me.Username != "kite_test_bot" || me.FirstName == "" {
		t.Fatalf("getMe = %+v", me)
	}
}

func TestUnknownTokenIsUnauthorizedForEveryMethod(t *testing.T) {
	srv := newServer(t)
	_, err := newClient(t, srv, "999:unknown").GetMe(testContext(t))
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("GetMe with unknown token: %v", err)
	}
	for _, method := range []string{"getMe", "sendMessage", "getUpdates", "noSuchMethod"} {
		wantError(t, call(t, srv, "999:unknown", method, nil), http.StatusUnauthorized, "Unauthorized")
	}
}

func TestRevokedTokenAnswers401FromThenOn(t *testing.T) {
	srv := newServer(t)
	srv.AddChat(token, telegramtest.Chat{ID: ann().ID, Type: telegramtest.ChatPrivate})
	ctx := testContext(t)
	client := newClient(t, srv, token)
	if _, err := client.SendMessage(ctx, &bot.SendMessageParams{ChatID: ann().ID, Text: "before"}); err != nil {
		t.Fatalf("send before revoke: %v", err)
	}

	srv.RevokeBot(token)
	_, err := client.SendMessage(ctx, &bot.SendMessageParams{ChatID: ann().ID, Text: "after"})
	if !errors.Is(err, bot.ErrorUnauthorized) {
		t.Fatalf("send after revoke: %v", err)
	}
	wantError(t, call(t, srv, token, "getUpdates", nil), http.StatusUnauthorized, "Unauthorized")

	calls := srv.Calls(token)
	if last := calls[len(calls)-1]; last.Method != "getUpdates" || last.Status != http.StatusUnauthorized {
		t.Fatalf("last recorded call = %+v", last)
	}
	if sent := srv.Sent(token); len(sent) != 1 || sent[0].Text != "before" {
		t.Fatalf("sent = %+v", sent)
	}
}

func TestMethodNamesAreCaseInsensitiveAndUnknownOnesNotFound(t *testing.T) {
	srv := newServer(t)
	if a := call(t, srv, token, "GETME", nil); !a.OK {
		t.Fatalf("GETME: %+v", a)
	}
	wantError(t, call(t, srv, token, "sendMessages", nil), http.StatusNotFound, "Not Found")
	if calls := srv.Calls(token); calls[0].Method != "getMe" || calls[1].Method != "sendMessages" {
		t.Fatalf("recorded methods %q, %q", calls[0].Method, calls[1].Method)
	}
}

func TestParametersArriveInEveryEncoding(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{}))
	first := srv.UserSays(token, ann(), "hello")
	chat := "1001"

	// Query string.
	resp, err := http.Post(srv.URL()+"/bot"+token+"/sendMessage?chat_id="+chat+"&text=query", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := decodeAnswer(t, resp); !a.OK {
		t.Fatalf("query string: %+v", a)
	}
	// Form, with the legacy reply parameter.
	if a := call(t, srv, token, "sendMessage", url.Values{"chat_id": {chat}, "text": {"form"},
		"reply_to_message_id": {"1"}}); !a.OK {
		t.Fatalf("form: %+v", a)
	}
	// JSON, where objects arrive as objects.
	if a := callJSON(t, srv, token, "sendMessage", map[string]any{"chat_id": 1001, "text": "json",
		"reply_parameters": map[string]any{"message_id": first.Message.MessageID}}); !a.OK {
		t.Fatalf("json: %+v", a)
	}
	// Multipart, as the client library sends everything.
	if _, err := newClient(t, srv, token).SendMessage(testContext(t), &bot.SendMessageParams{
		ChatID: ann().ID, Text: "multipart", ReplyParameters: &models.ReplyParameters{MessageID: 1},
	}); err != nil {
		t.Fatalf("multipart: %v", err)
	}

	sent := srv.Sent(token)
	var texts []string
	for _, m := range sent {
		texts = append(texts, m.Text)
	}
	if strings.Join(texts, ",") != "query,form,json,multipart" {
		t.Fatalf("sent texts %v", texts)
	}
	for _, m := range sent[1:] {
		if m.ReplyTo != first.Message.MessageID {
			t.Fatalf("%q replies to %d, want %d", m.Text, m.ReplyTo, first.Message.MessageID)
		}
	}
	calls := srv.Calls(token)
	if p := calls[2].Params; p["chat_id"] != "1001" || p["reply_parameters"] != `{"message_id":1}` {
		t.Fatalf("JSON params recorded as %q", p)
	}
	if p := calls[3].Params; p["chat_id"] != "1001" || p["reply_parameters"] != `{"message_id":1}` {
		t.Fatalf("multipart params recorded as %q", p)
	}
}

func TestSetDownAnswers502HTMLAndPausesWebhooks(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	endpoint := newHook(t, nil)
	ctx := testContext(t)
	client := newClient(t, srv, token)
	if _, err := client.SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL}); err != nil {
		t.Fatal(err)
	}

	srv.SetDown(true)
	resp, err := http.Post(srv.URL()+"/bot"+token+"/getMe", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadGateway || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<title>502 Bad Gateway</title>") {
		t.Fatalf("while down: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if _, err := client.GetMe(ctx); err == nil {
		t.Fatal("GetMe succeeded while down")
	}
	srv.UserSays(token, ann(), "are you there?")
	select {
	case <-endpoint.received:
		t.Fatal("webhook delivered while down")
	case <-time.After(200 * time.Millisecond):
	}

	srv.SetDown(false)
	if err := srv.WaitDelivered(ctx, token); err != nil {
		t.Fatal(err)
	}
	if got := endpoint.got(); len(got) != 1 || got[0].update.field("message", "text") != "are you there?" {
		t.Fatalf("delivered after outage: %+v", got)
	}
}
