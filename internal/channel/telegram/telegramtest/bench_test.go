package telegramtest_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

// BenchmarkWebhookDelivery measures updates delivered per second to a fast
// local endpoint.
func BenchmarkWebhookDelivery(b *testing.B) {
	srv := newServer(b, telegramtest.WithInsecureWebhooks())
	endpoint := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	b.Cleanup(endpoint.Close)
	ctx := testContext(b)
	if _, err := newClient(b, srv, token).SetWebhook(ctx, &bot.SetWebhookParams{URL: endpoint.URL}); err != nil {
		b.Fatal(err)
	}
	user := ann()
	start := time.Now()
	b.ResetTimer()
	for range b.N {
		srv.UserSays(token, user, "benchmark")
	}
	if err := srv.WaitDelivered(ctx, token); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
}

// BenchmarkSendMessage measures sendMessage calls per second through the
// client library, from 8 concurrent senders with flood limits off.
func BenchmarkSendMessage(b *testing.B) {
	srv := newServer(b, telegramtest.WithLimits(telegramtest.Limits{}))
	srv.UserSays(token, ann(), "hi")
	ctx := testContext(b)
	const senders = 8
	clients := make([]*bot.Bot, senders)
	for i := range clients {
		clients[i] = newClient(b, srv, token)
	}
	start := time.Now()
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := i; n < b.N; n += senders {
				if _, err := clients[i].SendMessage(ctx, sendText(ann().ID, "benchmark")); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
}
