package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// InboxFanout holds the sockets of a team's open inboxes while customers
// write to the org's Telegram bot, and times each message from the moment
// its webhook call is sent to its message.received frame on every socket:
// how long until every agent sees a new message.
type InboxFanout struct {
	// Sockets is how many sockets listen (KITEBENCH_FANOUT_SOCKETS).
	Sockets int
	// Rate is how many updates a second are posted (KITEBENCH_FANOUT_RATE).
	Rate int
	// Grace is how long frames may trail the last update before the
	// missing ones count as lost.
	Grace time.Duration
}

// NewInboxFanout returns the inbox-fanout scenario with 50 sockets and 200
// updates a second.
func NewInboxFanout() *InboxFanout {
	return &InboxFanout{Sockets: 50, Rate: 200, Grace: 10 * time.Second}
}

// Name returns "inbox-fanout".
func (*InboxFanout) Name() string { return "inbox-fanout" }

// Description says what inbox-fanout measures.
func (*InboxFanout) Description() string {
	return "50 sockets on /api/v1/realtime; Telegram updates to the webhook at 200/s for -d (the issue's figure: -d 20s); time from each POST to its message.received on every socket (KITEBENCH_FANOUT_SOCKETS, KITEBENCH_FANOUT_RATE)"
}

// fanoutPeople is how many Telegram users write: enough that most updates
// land in a chat that is not the previous one, few enough that the run
// also has replies to existing chats, not only new chats.
const fanoutPeople = 1000

// maxFanoutSockets and maxFanoutRate bound the settings to what one
// loopback run can mean something at.
const (
	maxFanoutSockets = 5000
	maxFanoutRate    = 5000
)

// fanoutMarker tags the measured messages; the warm-up's carry no tag.
const fanoutMarker = "kbfan#"

// Validate reads the environment settings.
func (s *InboxFanout) Validate(env *Env) error {
	var err error
	if s.Sockets, err = envInt("KITEBENCH_FANOUT_SOCKETS", s.Sockets, 1, maxFanoutSockets); err != nil {
		return err
	}
	if s.Rate, err = envInt("KITEBENCH_FANOUT_RATE", s.Rate, 1, maxFanoutRate); err != nil {
		return err
	}
	if env.Duration <= 0 {
		return fmt.Errorf("needs a duration (-d)")
	}
	return raiseFileLimit(uint64(s.Sockets) + 1024)
}

// Run connects a bot, opens the sockets, warms up, then posts the updates
// and waits for their frames.
func (s *InboxFanout) Run(ctx context.Context, env *Env) ([]Result, error) {
	if err := s.Validate(env); err != nil {
		return nil, err
	}
	tb, err := connectBench(ctx, env, "bench_fanout_bot")
	if err != nil {
		return nil, err
	}
	defer tb.srv.Close()
	orgID, err := orgOf(ctx, env, tb.access)
	if err != nil {
		return nil, err
	}
	interval := time.Second / time.Duration(s.Rate)
	events := int(env.Duration / interval) // what openLoop will send
	arr := newArrivals("message.received", fanoutMarker, events)
	dials := &recorder{}
	set, err := openSockets(ctx, env, tb.access, orgID, s.Sockets, 50, arr.read, dials)
	if err != nil {
		return nil, err
	}
	defer set.close()
	if set.len() < s.Sockets {
		return []Result{dials.result("inbox-fanout/connect", s.Sockets, 0)}, fmt.Errorf("opened %d of %d sockets", set.len(), s.Sockets)
	}
	env.Logf("inbox-fanout: %d sockets open; %d updates at %d/s", set.len(), events, s.Rate)

	client := newLoadClient(inboundWorkers)
	var updateID, next atomic.Int64
	post := func(ctx context.Context, seq int) error {
		n := updateID.Add(1)
		person := 710000000 + n%fanoutPeople
		text := fmt.Sprintf("fanout update %d", n)
		if seq >= 0 {
			text += " " + arr.tag(seq)
		}
		body := fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"date":%d,"from":{"id":%d,"is_bot":false,"first_name":"Fan %d"},"chat":{"id":%d,"type":"private","first_name":"Fan %d"},"text":%q}}`,
			n, n, time.Now().Unix(), person, person%fanoutPeople, person, person%fanoutPeople, text)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL("/api/v1/integrations/telegram/webhook"), bytes.NewReader([]byte(body)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tb.secret)
		if seq >= 0 {
			arr.trigger(seq)
		}
		if err := Call(client, req, http.StatusOK); err != nil {
			return err
		}
		if seq >= 0 {
			arr.ack(seq)
		}
		return nil
	}
	if env.Warmup > 0 {
		// Untagged updates: the first message of each person opens a chat
		// and a contact, which should not all fall in the measured phase.
		openLoop(ctx, s.Rate, env.Warmup, func(ctx context.Context) error { return post(ctx, -1) }, &recorder{})
	}
	webhook := &recorder{}
	elapsed := openLoop(ctx, s.Rate, env.Duration, func(ctx context.Context) error {
		seq := int(next.Add(1) - 1)
		if seq >= events {
			return nil
		}
		return post(ctx, seq)
	}, webhook)
	want := arr.expected(s.Sockets)
	arr.wait(ctx, want, s.Grace)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set.close()

	hook := webhook.result("inbox-fanout/webhook", inboundWorkers, elapsed)
	hook.Metrics = append(hook.Metrics, Metric{Name: "target rate", Value: float64(s.Rate), Unit: "updates/s"})
	missing := arr.missing(s.Sockets)
	res := arr.rec.result("inbox-fanout", s.Sockets, elapsed)
	res.Requests, res.Errors = want, missing
	res.ErrorSamples = set.errs.seen
	res.Metrics = append(res.Metrics,
		Metric{Name: "sockets", Value: float64(set.len()), Unit: ""},
		Metric{Name: "updates/s", Value: hook.Throughput, Unit: "achieved"},
		Metric{Name: "missing", Value: float64(missing), Unit: "frames"},
		Metric{Name: "sockets dropped", Value: float64(set.dropped.Load()), Unit: ""},
		Metric{Name: "frames per update", Value: float64(arr.frames.Load()) / float64(max(1, s.Sockets*(events+int(env.Warmup/interval)))), Unit: "per socket"})
	if d := arr.dups.Load(); d > 0 {
		res.Metrics = append(res.Metrics, Metric{Name: "duplicates", Value: float64(d), Unit: "frames"})
	}
	results := []Result{res, hook}
	if missing > 0 {
		return results, fmt.Errorf("%d of %d message.received frames did not arrive within %s of the last update", missing, want, s.Grace)
	}
	return results, nil
}
