package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

// The telegram scenarios play Telegram: they serve a fake Bot API on
// -telegram-addr (Kite must run with KITE_TELEGRAM_API_URL=http://ADDR and
// KITE_TELEGRAM_UPDATES=webhook), sign up a fresh account, connect a bot
// to it and then deliver updates to Kite's webhook, or have Kite send
// through the fake, which enforces Telegram's limits.

// telegramBot is a bot connected to a fresh bench account.
type telegramBot struct {
	srv     *telegramtest.Server
	token   string
	access  string // the account's access token
	secret  string // the webhook secret Kite registered
	channel string
}

// connectBench starts the fake Bot API and connects a new bot to a new account.
func connectBench(ctx context.Context, env *Env, username string) (*telegramBot, error) {
	srv, err := telegramtest.Listen(env.TelegramAddr, telegramtest.WithInsecureWebhooks())
	if err != nil {
		return nil, fmt.Errorf("serving the fake Bot API on %s: %w", env.TelegramAddr, err)
	}
	acc, err := signUpAccount(ctx, env)
	if err != nil {
		srv.Close()
		return nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	id, _ := strconv.ParseUint(hex.EncodeToString(b), 16, 32)
	tb := &telegramBot{srv: srv, access: acc.AccessToken, token: fmt.Sprintf("%d:AAHbench%s", id+1, hex.EncodeToString(b)+"0123456789abcdefghij")}
	srv.AddBot(tb.token, username)
	var ch struct {
		ID       string `json:"id"`
		Delivery string `json:"delivery"`
	}
	if err := tb.post(ctx, env, "/api/v1/integrations/telegram/connect", map[string]string{"bot_token": tb.token}, http.StatusCreated, &ch); err != nil {
		srv.Close()
		return nil, fmt.Errorf("connecting the bot (is Kite running with KITE_TELEGRAM_API_URL=http://%s?): %w", env.TelegramAddr, err)
	}
	if ch.Delivery != "webhook" {
		srv.Close()
		return nil, errors.New("Kite took the bot by long polling: run it with KITE_TELEGRAM_UPDATES=webhook")
	}
	tb.channel = ch.ID
	for _, c := range srv.Calls(tb.token) {
		if c.Method == "setWebhook" {
			tb.secret = c.Params["secret_token"]
		}
	}
	return tb, nil
}

func (tb *telegramBot) post(ctx context.Context, env *Env, path string, body any, want int, out any) error {
	return authedJSON(ctx, env, http.MethodPost, path, tb.access, body, want, out)
}

// TelegramInbound posts updates to Kite's webhook at a fixed rate, as
// Telegram delivers a busy bot's traffic, and measures each
// acknowledgement from the moment it was due (so a server that falls
// behind shows in the latencies, not in a lower request rate).
type TelegramInbound struct{}

// NewTelegramInbound returns the telegram-inbound scenario.
func NewTelegramInbound() *TelegramInbound { return &TelegramInbound{} }

// Name returns "telegram-inbound".
func (*TelegramInbound) Name() string { return "telegram-inbound" }

// Description says what telegram-inbound does.
func (*TelegramInbound) Description() string {
	return "POST Telegram updates (2,000 people) to the webhook at -rate per second for -d; checks every one became an unread message"
}

// inboundPeople is how many people write to the bot.
const inboundPeople = 2000

// inboundWorkers bounds the webhook calls in flight.
const inboundWorkers = 512

// Run connects a bot and drives its webhook.
func (*TelegramInbound) Run(ctx context.Context, env *Env) ([]Result, error) {
	tb, err := connectBench(ctx, env, "bench_inbound_bot")
	if err != nil {
		return nil, err
	}
	defer tb.srv.Close()
	client := newLoadClient(inboundWorkers)
	var sent atomic.Int64
	send := func(ctx context.Context) error {
		n := sent.Add(1)
		person := 700000000 + n%inboundPeople
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"from":{"id":%d,"is_bot":false,"first_name":"Person %d"},"chat":{"id":%d,"type":"private","first_name":"Person %d"},"text":"bench update %d"}}`,
			n, n, time.Now().Unix(), person, person%inboundPeople, person, person%inboundPeople, n)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL("/api/v1/integrations/telegram/webhook"), bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tb.secret)
		return Call(client, req, http.StatusOK)
	}
	warm := &recorder{}
	if env.Warmup > 0 {
		openLoop(ctx, env.Rate, env.Warmup, send, warm)
	}
	rec := &recorder{}
	elapsed := openLoop(ctx, env.Rate, env.Duration, send, rec)
	res := rec.result("telegram-inbound", inboundWorkers, elapsed)
	res.Metrics = append(res.Metrics, Metric{Name: "target rate", Value: float64(env.Rate), Unit: "updates/s"})
	// Every acknowledged update is an unread message of the account's owner.
	var unread struct {
		Total int64 `json:"total"`
	}
	if err := authedJSON(ctx, env, http.MethodGet, "/api/v1/chats/unread", tb.access, nil, http.StatusOK, &unread); err != nil {
		return []Result{res}, err
	}
	// A failed call may or may not have stored its update; an acknowledged
	// one must have.
	acked := sent.Load() - res.Errors - warm.errors
	if unread.Total < acked || unread.Total > sent.Load() {
		return []Result{res}, fmt.Errorf("%d updates were acknowledged but %d messages are unread", acked, unread.Total)
	}
	res.Metrics = append(res.Metrics, Metric{Name: "messages stored", Value: float64(unread.Total), Unit: "messages"})
	return []Result{res}, nil
}

// openLoop calls do rate times a second for d, each call on a worker as
// it falls due, and records its latency from when it was due. It returns
// the time the measured calls took.
func openLoop(ctx context.Context, rate int, d time.Duration, do func(context.Context) error, rec *recorder) time.Duration {
	due := make(chan time.Time, inboundWorkers)
	var wg sync.WaitGroup
	for range inboundWorkers {
		wg.Go(func() {
			var batch []time.Duration
			for at := range due {
				if err := do(ctx); err != nil {
					rec.addError(err)
					continue
				}
				batch = append(batch, time.Since(at))
				if len(batch) == 256 {
					rec.addLatencies(batch)
					batch = batch[:0]
				}
			}
			rec.addLatencies(batch)
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	total := int(d / interval)
	for i := 0; i < total && ctx.Err() == nil; i++ {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		due <- at
	}
	close(due)
	wg.Wait()
	return time.Since(start)
}

// TelegramOutbound has Kite send 10,000 messages to 2,000 chats through
// the fake Bot API, which answers any send beyond Telegram's limits (or
// before a retry_after has passed) with 429 and counts it. It measures how
// fast the messages went out and checks none broke a limit.
type TelegramOutbound struct{}

// NewTelegramOutbound returns the telegram-outbound scenario.
func NewTelegramOutbound() *TelegramOutbound { return &TelegramOutbound{} }

// Name returns "telegram-outbound".
func (*TelegramOutbound) Name() string { return "telegram-outbound" }

// Description says what telegram-outbound does.
func (*TelegramOutbound) Description() string {
	return "queue 10,000 messages to 2,000 Telegram chats and time their sending; fails on any limit violation or early send (takes ~6 min)"
}

const (
	outboundChats    = 2000
	outboundMessages = 10000
)

// Run connects a bot, has 2,000 people write to it, answers each five
// times and waits for every answer to reach Telegram.
func (*TelegramOutbound) Run(ctx context.Context, env *Env) ([]Result, error) {
	tb, err := connectBench(ctx, env, "bench_outbound_bot")
	if err != nil {
		return nil, err
	}
	defer tb.srv.Close()
	for i := range outboundChats {
		tb.srv.UserSays(tb.token, telegramtest.User{ID: int64(800000000 + i), FirstName: "Customer " + strconv.Itoa(i)}, "hello")
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := tb.srv.WaitDelivered(wait, tb.token); err != nil {
		return nil, fmt.Errorf("delivering the first messages: %w", err)
	}
	chats, err := tb.chatIDs(ctx, env)
	if err != nil {
		return nil, err
	}
	if len(chats) != outboundChats {
		return nil, fmt.Errorf("%d chats after %d people wrote", len(chats), outboundChats)
	}
	env.Logf("telegram-outbound: %d chats; queueing %d messages", len(chats), outboundMessages)
	rec := &recorder{}
	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range jobs {
				t0 := time.Now()
				path := "/api/v1/chats/" + chats[i%len(chats)] + "/messages"
				if err := tb.post(ctx, env, path, map[string]string{"text": fmt.Sprintf("answer %05d", i)}, http.StatusAccepted, nil); err != nil {
					rec.addError(err)
					continue
				}
				rec.addLatencies([]time.Duration{time.Since(t0)})
			}
		})
	}
	for i := range outboundMessages {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	queued := time.Since(start)
	env.Logf("telegram-outbound: queued in %s; waiting for Telegram to get them", queued.Round(time.Millisecond))
	last := time.Now()
	for n := len(tb.srv.Sent(tb.token)); n < outboundMessages-int(rec.errors); n = len(tb.srv.Sent(tb.token)) {
		if ctx.Err() != nil || time.Since(last) > time.Minute {
			return nil, fmt.Errorf("sending stalled at %d of %d messages", n, outboundMessages)
		}
		if n%1000 == 0 {
			env.Logf("  %d sent", n)
		}
		time.Sleep(100 * time.Millisecond)
		if len(tb.srv.Sent(tb.token)) > n {
			last = time.Now()
		}
	}
	sent := tb.srv.Sent(tb.token)
	elapsed := sent[len(sent)-1].At.Sub(start)
	res := rec.result("telegram-outbound", 16, elapsed)
	res.Throughput = float64(len(sent)) / elapsed.Seconds()
	st := tb.srv.Stats(tb.token)
	res.Metrics = append(res.Metrics,
		Metric{Name: "sent", Value: float64(len(sent)), Unit: "messages"},
		Metric{Name: "queueing took", Value: queued.Seconds(), Unit: "s"},
		Metric{Name: "limit violations", Value: float64(st.LimitViolations), Unit: "429s"},
		Metric{Name: "sends before retry_after", Value: float64(st.EarlySends), Unit: "429s"})
	if st.LimitViolations != 0 || st.EarlySends != 0 {
		return []Result{res}, fmt.Errorf("%d limit violations and %d sends before retry_after", st.LimitViolations, st.EarlySends)
	}
	// Each chat got its answers in the order they were queued.
	lastText := map[int64]string{}
	for _, m := range sent {
		if m.Text < lastText[m.ChatID] {
			return []Result{res}, fmt.Errorf("chat %d got %q after %q", m.ChatID, m.Text, lastText[m.ChatID])
		}
		lastText[m.ChatID] = m.Text
	}
	return []Result{res}, nil
}

// chatIDs lists the account's chats.
func (tb *telegramBot) chatIDs(ctx context.Context, env *Env) ([]string, error) {
	var ids []string
	cursor := ""
	for {
		var page struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
			Next *string `json:"next_cursor"`
		}
		path := "/api/v1/chats?limit=200"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if err := authedJSON(ctx, env, http.MethodGet, path, tb.access, nil, http.StatusOK, &page); err != nil {
			return nil, err
		}
		for _, it := range page.Items {
			ids = append(ids, it.ID)
		}
		if page.Next == nil {
			return ids, nil
		}
		cursor = *page.Next
	}
}
