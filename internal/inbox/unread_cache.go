package inbox

import (
	"bytes"
	"context"
	"io"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/versioned"
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

type unreadCache = versioned.Cache[unreadKey, *httpx.Kept]

func newUnreadCache() *unreadCache {
	return versioned.New[unreadKey, *httpx.Kept](unreadCacheSize, "kite_unread_cache_lookups_total",
		"Reads of a member's unread counts, by whether the kept answer was still theirs (hit) or was read again (miss).")
}

// Collectors returns the inbox's Prometheus collectors.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.unreadAnswers.Collector()}
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
	if kept, ok := s.unreadAnswers.Get(key, st.Version); ok {
		return kept, nil
	}
	u, err := s.unreadChats(ctx, a, st.Total)
	if err != nil {
		return nil, err
	}
	kept, err := encode(u)
	if err == nil {
		s.unreadAnswers.Put(key, st.Version, kept)
	}
	return kept, err
}
