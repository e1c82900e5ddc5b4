package telegramtest_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

func TestWebhookDeliversUpdatesWithTheSecretHeader(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	endpoint := newHook(t, nil)
	ctx := testContext(t)
	client := newClient(t, srv, token)
	ok, err := client.SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL, SecretToken: "s3cret_Token-1"})
	if err != nil || !ok {
		t.Fatalf("SetWebhook: %v %v", ok, err)
	}

	u := srv.UserSays(token, ann(), "via webhook")
	if err := srv.WaitDelivered(ctx, token); err != nil {
		t.Fatal(err)
	}
	got := endpoint.got()
	if len(got) != 1 {
		t.Fatalf("%d deliveries", len(got))
	}
	if h := got[0].header; h.Get("X-Telegram-Bot-Api-Secret-Token") != "s3cret_Token-1" ||
		h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", h)
	}
	if got[0].update.id() != u.UpdateID || got[0].update.field("message", "text") != "via webhook" {
		t.Fatalf("delivered %v", got[0].update)
	}
	info, err := client.GetWebhookInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.URL != endpoint.URL || info.MaxConnections != 40 || info.PendingUpdateCount != 0 ||
		info.LastErrorMessage != "" {
		t.Fatalf("webhook info %+v", info)
	}
}

func TestWebhookRedeliversAfterAFailedAnswer(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	failed := make(chan struct{})
	var once sync.Once
	endpoint := newHook(t, func(n int) int {
		if n < 3 {
			once.Do(func() { close(failed) })
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	ctx := testContext(t)
	client := newClient(t, srv, token)
	if _, err := client.SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL}); err != nil {
		t.Fatal(err)
	}

	u := srv.UserSays(token, ann(), "retry me")
	<-failed
	info, err := client.GetWebhookInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.PendingUpdateCount != 1 {
		t.Fatalf("pending while failing = %d", info.PendingUpdateCount)
	}
	if err := srv.WaitDelivered(ctx, token); err != nil {
		t.Fatal(err)
	}
	got := endpoint.got()
	if len(got) != 4 {
		t.Fatalf("%d attempts, want 3 failures and 1 success", len(got))
	}
	for _, r := range got {
		if r.update.id() != u.UpdateID {
			t.Fatalf("attempt carried update %d, want %d", r.update.id(), u.UpdateID)
		}
	}
	info, err = client.GetWebhookInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.PendingUpdateCount != 0 || info.LastErrorDate == 0 ||
		info.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" {
		t.Fatalf("webhook info %+v", info)
	}
	if st := srv.Stats(token); st.DeliveryFailures != 3 || st.Delivered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGetUpdatesConflictsWithWebhookAndInheritsItsBacklog(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	ctx := testContext(t)
	client := newClient(t, srv, token)
	// Nothing listens on port 1: every delivery is refused.
	if _, err := client.SetWebhook(ctx, &bot.SetWebhookParams{URL: "http://127.0.0.1:1/hook"}); err != nil {
		t.Fatal(err)
	}
	u := srv.UserSays(token, ann(), "stuck")
	wantError(t, call(t, srv, token, "getUpdates", nil), http.StatusConflict,
		"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := client.GetWebhookInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.LastErrorMessage == "Connection refused" && info.PendingUpdateCount == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook info %+v", info)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if _, err := client.DeleteWebhook(ctx, &bot.DeleteWebhookParams{}); err != nil {
		t.Fatal(err)
	}
	got := getUpdates(t, srv, token, 0, nil)
	if len(got) != 1 || got[0].id() != u.UpdateID {
		t.Fatalf("after deleteWebhook got %v", got)
	}
}

func TestSetWebhookWhileLongPollingEndsThePoll(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	poll := make(chan answer, 1)
	go func() { poll <- call(t, srv, token, "getUpdates", url.Values{"timeout": {"10"}}) }()
	time.Sleep(200 * time.Millisecond)
	if a := call(t, srv, token, "setWebhook", url.Values{"url": {newHook(t, nil).URL}}); !a.OK ||
		a.Description != "Webhook was set" {
		t.Fatalf("setWebhook: %+v", a)
	}
	select {
	case a := <-poll:
		wantError(t, a, http.StatusConflict, "Conflict: terminated by setWebhook request")
	case <-time.After(5 * time.Second):
		t.Fatal("poll not ended")
	}
}

func TestSetWebhookValidatesLikeTelegram(t *testing.T) {
	srv := telegramtest.New() // https only, as on Telegram
	t.Cleanup(srv.Close)
	cases := []struct {
		params url.Values
		status int
		want   string
	}{
		{url.Values{"url": {"http://example.com/hook"}}, http.StatusBadRequest,
			"Bad Request: bad webhook: An HTTPS URL must be provided for webhook"},
		{url.Values{"url": {"https://example.com:8080/hook"}}, http.StatusBadRequest,
			"Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"},
		{url.Values{"url": {"example.com"}}, http.StatusBadRequest, "Bad Request: invalid webhook URL specified"},
		{url.Values{"url": {"https://example.com/hook"}, "secret_token": {"not/base64+"}}, http.StatusBadRequest,
			"Bad Request: secret token contains unallowed characters"},
		{url.Values{"url": {"https://example.com/hook"}, "secret_token": {strings.Repeat("a", 257)}},
			http.StatusBadRequest, "Bad Request: secret token contains unallowed characters"},
	}
	// setWebhook is limited to one call per second per bot, so each case
	// uses its own bot.
	for i, c := range cases {
		tok := "7000" + string(rune('0'+i)) + ":case"
		srv.AddBot(tok, "case_bot")
		wantError(t, call(t, srv, tok, "setWebhook", c.params), c.status, c.want)
	}

	srv.AddBot(token, "kite_test_bot")
	valid := url.Values{"url": {"https://example.com/hook"}, "max_connections": {"500"}}
	if a := call(t, srv, token, "setWebhook", valid); !a.OK {
		t.Fatalf("valid setWebhook: %+v", a)
	}
	again := call(t, srv, token, "setWebhook", valid)
	wantError(t, again, http.StatusTooManyRequests, "Too Many Requests: retry after 1")
	if again.Parameters.RetryAfter != 1 {
		t.Fatalf("retry_after %d", again.Parameters.RetryAfter)
	}
	var info struct {
		MaxConnections int `json:"max_connections"`
	}
	if err := jsonResult(call(t, srv, token, "getWebhookInfo", nil), &info); err != nil || info.MaxConnections != 100 {
		t.Fatalf("max_connections clamped to %d (%v), want 100", info.MaxConnections, err)
	}
	if a := call(t, srv, token, "deleteWebhook", nil); a.Description != "Webhook was deleted" {
		t.Fatalf("deleteWebhook: %+v", a)
	}
	if a := call(t, srv, token, "deleteWebhook", nil); a.Description != "Webhook is already deleted" {
		t.Fatalf("second deleteWebhook: %+v", a)
	}
}

func TestWebhookDeliversEveryUpdateOnceUnderLoad(t *testing.T) {
	srv := newServer(t, telegramtest.WithInsecureWebhooks())
	endpoint := newHook(t, nil)
	ctx := testContext(t)
	if _, err := newClient(t, srv, token).SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL}); err != nil {
		t.Fatal(err)
	}
	const senders, each = 4, 500
	var wg sync.WaitGroup
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := telegramtest.User{ID: int64(5000 + g), FirstName: "Load"}
			for range each {
				srv.UserSays(token, user, "load")
			}
		}()
	}
	wg.Wait()
	if err := srv.WaitDelivered(ctx, token); err != nil {
		t.Fatal(err)
	}
	seen := make(map[int64]bool)
	for _, r := range endpoint.got() {
		if seen[r.update.id()] {
			t.Fatalf("update %d delivered twice", r.update.id())
		}
		seen[r.update.id()] = true
	}
	if len(seen) != senders*each {
		t.Fatalf("delivered %d updates, want %d", len(seen), senders*each)
	}
	// Connections are reused, never more than max_connections (default 40).
	if n := endpoint.conns.Load(); n > 40 {
		t.Fatalf("%d connections for %d deliveries", n, len(seen))
	}
}

func jsonResult(a answer, v any) error {
	if !a.OK {
		return errors.New(a.Description)
	}
	return json.Unmarshal(a.Result, v)
}
