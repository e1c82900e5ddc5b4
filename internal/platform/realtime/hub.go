// Package realtime pushes updates to browsers: a topic pub/sub hub (in
// process on SQLite, across replicas through PostgreSQL LISTEN/NOTIFY) and
// the WebSocket endpoint that serves it.
package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Message is one update for the subscribers of a topic. It reaches the
// browser as the JSON frame {"topic", "type", "id", "data"}.
type Message struct {
	Topic string `json:"topic"`
	Type  string `json:"type"`
	ID    string `json:"id,omitempty"`
	// Subject is the record an event is about (a contact, a deal, a chat),
	// so a page of that record can tell its own events.
	Subject string          `json:"subject,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
}

// broker carries a published frame to every replica's hub; each replica then
// delivers it to its local subscribers.
type broker interface {
	publish(ctx context.Context, topic string, frame []byte) error
}

// Hub fans messages out to subscriptions by topic.
type Hub struct {
	log     *slog.Logger
	broker  broker
	mu      sync.RWMutex
	topics  map[string]map[*Subscription]struct{}
	metrics hubMetrics
	// listening is true while the PostgreSQL listener is subscribed.
	listening atomic.Bool
}

// NewHub returns a hub that delivers within this process. Use ListenPostgres
// to span replicas.
func NewHub(log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{log: log, topics: map[string]map[*Subscription]struct{}{}, metrics: newHubMetrics()}
	h.broker = localBroker{h}
	return h
}

// ErrEmptyTopic is returned when publishing without a topic.
var ErrEmptyTopic = errors.New("realtime: message without topic")

// Publish sends m to every subscriber of m.Topic on every replica. It never
// blocks on a slow subscriber.
func (h *Hub) Publish(ctx context.Context, m Message) error {
	if m.Topic == "" {
		return ErrEmptyTopic
	}
	frame, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return h.broker.publish(ctx, m.Topic, frame)
}

// deliver hands an encoded frame to this process's subscribers of topic. The
// frame is shared, not copied: subscribers must not modify it.
func (h *Hub) deliver(topic string, frame []byte) {
	h.mu.RLock()
	var slow []*Subscription
	for s := range h.topics[topic] {
		if !s.offer(frame) {
			slow = append(slow, s)
		}
	}
	n := len(h.topics[topic])
	h.mu.RUnlock()
	h.metrics.frames.Add(float64(n - len(slow)))
	for _, s := range slow {
		h.metrics.evicted.Inc()
		s.evict()
	}
}

// Listen returns a subscription to no topic yet, without a channel or a
// goroutine of its own (a process holds thousands, one per idle socket):
// frames wait in a queue
// (up to limit; a subscriber further behind is evicted), and ready is
// called when the queue has frames and nobody is taking them, after which
// the caller drains it with Take until Take comes back empty. The queue
// starts held: ready is not called until the first Take, so the caller
// can write what must come first. ended is called once when the hub ends
// the subscription (eviction or reset); Close does not call it.
func (h *Hub) Listen(limit int, ready, ended func()) *Subscription {
	h.metrics.subscriptions.Inc()
	return &Subscription{hub: h, done: make(chan struct{}), topics: map[string]struct{}{},
		limit: max(limit, 1), ready: ready, ended: ended, taking: true}
}

// Collectors returns the hub's Prometheus collectors.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.metrics.subscriptions, h.metrics.frames, h.metrics.evicted}
}

type localBroker struct{ h *Hub }

func (b localBroker) publish(_ context.Context, topic string, frame []byte) error {
	b.h.deliver(topic, frame)
	return nil
}

// Subscription receives the frames of its topics through Take until Done.
type Subscription struct {
	hub  *Hub
	done chan struct{}
	once sync.Once
	// The queue: taking is true from the moment
	// ready is due until a Take finds the queue empty, so one taker at a
	// time writes frames, in order.
	qmu          sync.Mutex
	queue        [][]byte
	limit        int
	taking       bool
	ready, ended func()
	// evicted is set when the subscriber fell behind, reset when the hub
	// may have missed frames for it; read after Done.
	evicted, reset bool
	topics         map[string]struct{} // guarded by hub.mu
}

// Done is closed when the subscription ends (Close or eviction).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Evicted reports whether the hub ended the subscription because its queue
// was full. Valid after Done is closed.
func (s *Subscription) Evicted() bool {
	<-s.done
	return s.evicted
}

// Add subscribes to more topics.
func (s *Subscription) Add(topics ...string) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	select {
	case <-s.done:
		return
	default:
	}
	for _, t := range topics {
		subs := s.hub.topics[t]
		if subs == nil {
			subs = map[*Subscription]struct{}{}
			s.hub.topics[t] = subs
		}
		subs[s] = struct{}{}
		s.topics[t] = struct{}{}
	}
}

// Remove unsubscribes from topics.
func (s *Subscription) Remove(topics ...string) {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	for _, t := range topics {
		s.hub.detach(s, t)
	}
}

// Topics lists the current topics.
func (s *Subscription) Topics() []string {
	s.hub.mu.RLock()
	defer s.hub.mu.RUnlock()
	out := make([]string, 0, len(s.topics))
	for t := range s.topics {
		out = append(out, t)
	}
	return out
}

// Reset reports whether the hub ended the subscription because frames may
// have been lost (its cross-replica listener reconnected): the client
// should reconnect and catch up from the event log. Valid after Done.
func (s *Subscription) Reset() bool {
	<-s.done
	return s.reset
}

// Close ends the subscription.
func (s *Subscription) Close() { s.end(false, false) }

func (s *Subscription) evict() { s.end(true, false) }

func (s *Subscription) end(evicted, reset bool) {
	s.once.Do(func() {
		s.hub.mu.Lock()
		for t := range s.topics {
			s.hub.detach(s, t)
		}
		s.evicted, s.reset = evicted, reset
		close(s.done)
		s.hub.mu.Unlock()
		s.hub.metrics.subscriptions.Dec()
		if (evicted || reset) && s.ended != nil {
			s.ended()
		}
	})
}

// Take returns the queued frames, oldest first.
// An empty answer ends this round of taking: the next frame calls ready.
func (s *Subscription) Take() [][]byte {
	s.qmu.Lock()
	defer s.qmu.Unlock()
	out := s.queue
	s.queue = nil
	if len(out) == 0 {
		s.taking = false
	}
	return out
}

// Push queues a frame for this subscriber alone (an answer to what its
// client sent), behind the frames already waiting.
func (s *Subscription) Push(frame []byte) bool { return s.offer(frame) }

// resetAll ends every local subscription as reset: after the listener was
// down, their clients must catch up from the event log.
func (h *Hub) resetAll() {
	h.mu.RLock()
	seen := map[*Subscription]struct{}{}
	for _, subs := range h.topics {
		for s := range subs {
			seen[s] = struct{}{}
		}
	}
	h.mu.RUnlock()
	for s := range seen {
		s.end(false, true)
	}
}

// detach removes s from topic; the caller holds hub.mu.
func (h *Hub) detach(s *Subscription, topic string) {
	delete(s.topics, topic)
	if subs := h.topics[topic]; subs != nil {
		delete(subs, s)
		if len(subs) == 0 {
			delete(h.topics, topic)
		}
	}
}

// offer queues a frame without blocking and calls ready when nobody is
// taking; false means the queue is full.
func (s *Subscription) offer(frame []byte) bool {
	s.qmu.Lock()
	if len(s.queue) >= s.limit {
		s.qmu.Unlock()
		return false
	}
	s.queue = append(s.queue, frame)
	call := !s.taking
	s.taking = true
	s.qmu.Unlock()
	if call {
		s.ready()
	}
	return true
}

type hubMetrics struct {
	subscriptions prometheus.Gauge
	frames        prometheus.Counter
	evicted       prometheus.Counter
}

func newHubMetrics() hubMetrics {
	return hubMetrics{
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kite_realtime_subscriptions", Help: "Open realtime subscriptions in this process."}),
		frames:        prometheus.NewCounter(prometheus.CounterOpts{Name: "kite_realtime_frames_total", Help: "Frames queued to subscribers."}),
		evicted:       prometheus.NewCounter(prometheus.CounterOpts{Name: "kite_realtime_evictions_total", Help: "Subscribers dropped for falling behind."}),
	}
}

// splitNotification separates "topic\nframe".
func splitNotification(p []byte) (string, []byte, bool) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return "", nil, false
	}
	return string(p[:i]), p[i+1:], true
}
