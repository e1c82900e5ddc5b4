package inbox

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// A chat is read in the order Kite stored its messages (created_at). A
// channel delivers over several connections at once, so two quick
// messages of one person can arrive the other way round: within a batch
// orderWithinChats puts them back in the channel's order (its message
// ids); across batches keepChannelOrder stores a message that arrives
// after a later one of its chat just before that one.

// reorderWindow is how far back keepChannelOrder looks for the later
// messages a late one goes before: deliveries overtake each other by
// milliseconds, a redelivery after a failed webhook call by seconds.
const reorderWindow = 30 * time.Second

// orderWithinChats puts each chat's messages of a batch in the channel's
// order (its message ids), leaving the places each chat's messages take
// as they are.
func orderWithinChats(reqs []*receiveReq) {
	slots := map[[2]string][]int{}
	for i, r := range reqs {
		k := [2]string{r.ch.ID, r.items[0].Chat.ExternalID}
		slots[k] = append(slots[k], i)
	}
	for _, at := range slots {
		if len(at) < 2 {
			continue
		}
		group := make([]*receiveReq, len(at))
		for j, i := range at {
			group[j] = reqs[i]
		}
		slices.SortStableFunc(group, func(a, b *receiveReq) int {
			x, okX := seqOf(a.items[0].ExternalID)
			y, okY := seqOf(b.items[0].ExternalID)
			if !okX || !okY {
				return 0 // ids that are not numbers keep their arrival order
			}
			return cmp.Compare(x, y)
		})
		for j, i := range at {
			reqs[i] = group[j]
		}
	}
}

// keepChannelOrder gives each received message that the channel numbers
// before one already stored in its chat a time just before that one, so
// the chat reads in the channel's order and the inbox, which places a
// message by its time, shows it there at once. The chat's highest number
// so far tells which messages are late without a query; only their chats'
// recent messages are read.
func (s *Service) keepChannelOrder(ctx context.Context, tx bun.Tx, rows []inboundRow) error {
	byChat := map[string][]int{} // chat id -> its rows with a numbered message
	var late []string
	for i, r := range rows {
		n, ok := channelSeq(r.msg)
		if !ok {
			continue
		}
		if r.chat.LastInboundSeq != nil && n < *r.chat.LastInboundSeq && !slices.Contains(late, r.chat.ID) {
			late = append(late, r.chat.ID)
		}
		byChat[r.chat.ID] = append(byChat[r.chat.ID], i)
	}
	if len(late) == 0 {
		return nil
	}
	var recent []struct {
		ChatID     string    `bun:"chat_id"`
		ExternalID *string   `bun:"external_id"`
		CreatedAt  time.Time `bun:"created_at"`
	}
	if err := tx.NewSelect().Table("messages").Column("chat_id", "external_id", "created_at").
		Where("chat_id IN (?)", bun.In(late)).Where("direction = ?", In).
		Where("created_at > ?", s.now().Add(-reorderWindow)).Scan(ctx, &recent); err != nil {
		return err
	}
	known := map[string][]seqAt{}
	for _, m := range recent {
		if m.ExternalID == nil {
			continue
		}
		if n, ok := seqOf(*m.ExternalID); ok {
			known[m.ChatID] = append(known[m.ChatID], seqAt{n, m.CreatedAt})
		}
	}
	for _, chat := range late {
		idx, stored := byChat[chat], known[chat]
		// Latest number first: each message then finds its successors
		// already placed, this batch's included.
		slices.SortFunc(idx, func(a, b int) int {
			x, _ := channelSeq(rows[a].msg)
			y, _ := channelSeq(rows[b].msg)
			return cmp.Compare(y, x)
		})
		for _, i := range idx {
			n, _ := channelSeq(rows[i].msg)
			if at, ok := placeBefore(stored, n); ok {
				rows[i].msg.CreatedAt = at
			}
			stored = append(stored, seqAt{n, rows[i].msg.CreatedAt})
		}
	}
	return nil
}

// seqAt is a stored message's number at the channel and its time.
type seqAt struct {
	seq int64
	at  time.Time
}

// placeBefore is the time for message n among stored: a microsecond before
// the earliest-stored message numbered after it, when that leaves it after
// every message numbered before it. ok is false when n comes after them
// all (the usual case) or there is no room.
func placeBefore(stored []seqAt, n int64) (at time.Time, ok bool) {
	var next, prev *seqAt
	for i := range stored {
		m := &stored[i]
		switch {
		case m.seq > n && (next == nil || m.at.Before(next.at)):
			next = m
		case m.seq < n && (prev == nil || m.at.After(prev.at)):
			prev = m
		}
	}
	if next == nil {
		return time.Time{}, false
	}
	at = next.at.Add(-time.Microsecond)
	if prev != nil && !at.After(prev.at) {
		return time.Time{}, false
	}
	return at, true
}

// channelSeq is the message's number at the channel, when it has one.
func channelSeq(m Message) (int64, bool) {
	if m.ExternalID == nil {
		return 0, false
	}
	return seqOf(*m.ExternalID)
}

// seqOf reads a channel's message id as its number (Telegram numbers a
// chat's messages in order); ok is false for ids that are not numbers.
func seqOf(externalID string) (int64, bool) {
	n, err := strconv.ParseInt(externalID, 10, 64)
	return n, err == nil
}

// later is the later-stored of two messages (a zero one counts as none).
func later(a, b Message) Message {
	if a.ID == "" || b.CreatedAt.After(a.CreatedAt) || b.CreatedAt.Equal(a.CreatedAt) {
		return b
	}
	return a
}
