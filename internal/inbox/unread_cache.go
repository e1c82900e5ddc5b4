package inbox

import (
	"bytes"
	"context"
	"io"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Every open inbox asks for its member's unread counts again and again,
// and the answer (up to 100 chats) changes only when a message arrives for
// them or they read a chat. Both writes change the member's rows in
// chat_unread_totals in the same transaction, and each such change adds
// one to the row's version. So each process keeps a member's last answer,
// encoded and gzipped, with the sum of their versions, and answers it
// again while a request reads the same sum with the total: versions only
// grow, so an equal sum means that nothing changed the counts in between.
// Another replica's writes count the same way, as the versions are in the
// database.

// unreadCacheSize bounds the answers a process keeps (each a few KB).
const unreadCacheSize = 4096

type unreadKey struct{ orgID, userID string }

type keptUnread struct {
	version int64
	answer  *httpx.Kept
}

type unreadCache struct {
	mu      sync.Mutex
	answers map[unreadKey]keptUnread
	// lookups counts reads of a member's counts by outcome (hit or miss).
	lookups *prometheus.CounterVec
}

func newUnreadCache() *unreadCache {
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kite_unread_cache_lookups_total",
		Help: "Reads of a member's unread counts, by whether the kept answer was still theirs (hit) or was read again (miss)."},
		[]string{"outcome"})
	lookups.WithLabelValues("hit") // both series from the start, at 0
	lookups.WithLabelValues("miss")
	return &unreadCache{answers: map[unreadKey]keptUnread{}, lookups: lookups}
}

// Collectors returns the inbox's Prometheus collectors.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.unreadAnswers.lookups}
}

func (c *unreadCache) get(k unreadKey, version int64) (*httpx.Kept, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept, ok := c.answers[k]
	if !ok || kept.version != version {
		c.lookups.WithLabelValues("miss").Inc()
		return nil, false
	}
	c.lookups.WithLabelValues("hit").Inc()
	return kept.answer, true
}

func (c *unreadCache) put(k unreadKey, version int64, answer *httpx.Kept) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.answers[k]
	if ok && old.version > version {
		return // a slower reader must not replace a newer answer
	}
	if !ok && len(c.answers) >= unreadCacheSize {
		for other := range c.answers { // any one: an answer is cheap to read again
			delete(c.answers, other)
			break
		}
	}
	c.answers[k] = keptUnread{version: version, answer: answer}
}

// UnreadAnswer is the caller's unread counts (see Unread) as the API
// answers them, encoded by marshal: the member's kept answer while their
// counts are unchanged, else read, encoded and kept.
func (s *Service) UnreadAnswer(ctx context.Context, a org.Actor, marshal func(io.Writer, any) error) (*httpx.Kept, error) {
	encode := func(u Unread) (*httpx.Kept, error) {
		var b bytes.Buffer
		if err := marshal(&b, u); err != nil {
			return nil, err
		}
		return httpx.Keep(b.Bytes()), nil
	}
	if a.UserID == "" {
		return encode(Unread{Chats: []ChatUnread{}})
	}
	st, err := s.unreadState(ctx, a)
	if err != nil {
		return nil, err
	}
	key := unreadKey{a.OrgID, a.UserID}
	if kept, ok := s.unreadAnswers.get(key, st.Version); ok {
		return kept, nil
	}
	u, err := s.unreadChats(ctx, a, st.Total)
	if err != nil {
		return nil, err
	}
	kept, err := encode(u)
	if err == nil {
		s.unreadAnswers.put(key, st.Version, kept)
	}
	return kept, err
}
