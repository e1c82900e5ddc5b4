package inbox

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
)

// Busy channels deliver many updates at once (Telegram keeps up to 40
// webhook calls open per bot). Each would be a transaction of its own;
// instead, while one batch commits, the next gathers, and a batch of
// plain messages to existing chats is written with a few multi-row
// statements. Every delivery still answers only after its commit. If a
// batch fails, each of its deliveries is stored on its own, so one bad
// update never fails the others.

// maxReceiveBatch bounds the deliveries written in one transaction.
const maxReceiveBatch = 200

type receiveReq struct {
	ch    ChannelRecord
	key   string
	items []Inbound
	done  chan receiveResult
}

type receiveResult struct {
	duplicate bool
	err       error
}

// RunReceiver writes inbound deliveries in batches until ctx ends; while
// it does not run, Receive writes each delivery on its own. SQLite has one
// writer, so one batch writer; on PostgreSQL two overlap their round
// trips (they lock chats and counters in the same order, so they never
// deadlock over them).
func (s *Service) RunReceiver(ctx context.Context) {
	in, stopped := make(chan *receiveReq, 4*maxReceiveBatch), make(chan struct{})
	s.mu.Lock()
	s.receiving, s.receiverStopped = in, stopped
	s.mu.Unlock()
	writers := 1
	if s.db.Kind == db.Postgres {
		writers = 2
	}
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() { s.writeBatches(ctx, in) })
	}
	wg.Wait()
	s.mu.Lock()
	s.receiving = nil
	s.mu.Unlock()
	close(stopped) // deliveries still handed over are written by their callers
}

// writeBatches takes every delivery waiting and writes it as one batch,
// until ctx ends.
func (s *Service) writeBatches(ctx context.Context, in chan *receiveReq) {
	for {
		var batch []*receiveReq
		select {
		case <-ctx.Done():
			return
		case r := <-in:
			batch = append(batch, r)
		}
	gather:
		for len(batch) < maxReceiveBatch {
			select {
			case r := <-in:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		s.receiveBatch(context.WithoutCancel(ctx), batch)
	}
}

func (s *Service) receiveBatch(ctx context.Context, batch []*receiveReq) {
	results, err := s.writeBatch(ctx, batch)
	if err != nil {
		if len(batch) > 1 {
			s.log.Warn("a batch of inbound deliveries failed; storing them one by one", "deliveries", len(batch), "err", err)
		}
		for _, r := range batch {
			dup, err := s.receiveNow(ctx, r.ch, r.key, r.items)
			r.done <- receiveResult{dup, err}
		}
		return
	}
	for i, r := range batch {
		r.done <- results[i]
	}
}

// writeBatch stores a batch in one transaction.
func (s *Service) writeBatch(ctx context.Context, batch []*receiveReq) ([]receiveResult, error) {
	results := make([]receiveResult, len(batch))
	err := s.receiveTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for i := range results {
			results[i] = receiveResult{}
		}
		fresh, err := s.claimKeys(ctx, tx, batch, results)
		if err != nil {
			return err
		}
		// Plain messages to chats that exist are written together; the
		// rest (first contact, edits, blocks) one at a time, in order.
		var plain []*receiveReq
		for _, r := range fresh {
			if isPlain(r) {
				plain = append(plain, r)
				continue
			}
			// What came before is written first, to keep each chat in order.
			if err := s.writeMessages(ctx, tx, plain); err != nil {
				return err
			}
			plain = nil
			for _, it := range r.items {
				if err := s.receiveOne(ctx, tx, r.ch, it); err != nil {
					return err
				}
			}
		}
		return s.writeMessages(ctx, tx, plain)
	})
	return results, err
}

// claimKeys inserts the batch's delivery keys and returns the requests
// seen for the first time; the others are marked duplicate.
func (s *Service) claimKeys(ctx context.Context, tx bun.Tx, batch []*receiveReq, results []receiveResult) ([]*receiveReq, error) {
	now := s.now()
	keys := make([]inboundKey, 0, len(batch))
	seen := map[[2]string]bool{}
	for _, r := range batch {
		k := [2]string{r.ch.ID, r.key}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, inboundKey{ChannelID: r.ch.ID, Key: r.key, CreatedAt: now})
		}
	}
	var claimed []inboundKey
	if err := tx.NewInsert().Model(&keys).On("CONFLICT DO NOTHING").Returning("channel_id, key").Scan(ctx, &claimed); err != nil {
		return nil, err
	}
	won := map[[2]string]bool{}
	for _, k := range claimed {
		won[[2]string{k.ChannelID, k.Key}] = true
	}
	var fresh []*receiveReq
	for i, r := range batch {
		k := [2]string{r.ch.ID, r.key}
		if won[k] {
			won[k] = false // a second delivery of the key in this batch is a duplicate
			fresh = append(fresh, r)
			continue
		}
		results[i].duplicate = true
	}
	return fresh, nil
}

// isPlain tells whether a delivery is one new message in a private chat,
// not a reply (which needs a lookup): the common case.
func isPlain(r *receiveReq) bool {
	if len(r.items) != 1 {
		return false
	}
	it := r.items[0]
	return it.Kind == InboundMessage && it.ReplyTo == "" && it.Chat.Kind == ChatPrivate
}

// writeMessages stores plain messages together, starting the chats (and
// contacts) of people writing for the first time.
func (s *Service) writeMessages(ctx context.Context, tx bun.Tx, reqs []*receiveReq) error {
	if len(reqs) == 0 {
		return nil
	}
	chats, err := s.chatsOf(ctx, tx, reqs)
	if err != nil {
		return err
	}
	if err := s.startChats(ctx, tx, reqs, chats); err != nil {
		return err
	}
	orderWithinChats(reqs)
	rows := make([]inboundRow, len(reqs))
	for i, r := range reqs {
		it := r.items[0]
		chat := chats[[2]string{r.ch.ID, it.Chat.ExternalID}]
		rows[i] = inboundRow{chat: chat, msg: s.inboundMessage(r.ch, chat, it)}
	}
	return s.storeInbound(ctx, tx, rows)
}

// inboundRow is a received message ready to store, with its chat.
type inboundRow struct {
	chat Chat
	msg  Message
}

// shardKey names one row of a member's unread totals.
type shardKey struct {
	orgID string
	shard int
}

// storeInbound stores received messages with a few statements whatever
// their number: the messages (one already stored, by its channel id, is
// skipped), their chats' latest message, every member's unread counts and
// totals, the file fetches and the events. Chats, counts and totals are
// written in key order, so concurrent writers lock them in the same order.
func (s *Service) storeInbound(ctx context.Context, tx bun.Tx, rows []inboundRow) error {
	if len(rows) == 0 {
		return nil
	}
	if err := s.keepChannelOrder(ctx, tx, rows); err != nil {
		return err
	}
	msgs := make([]Message, len(rows))
	for i, r := range rows {
		msgs[i] = r.msg
	}
	var inserted []string
	if err := tx.NewInsert().Model(&msgs).On("CONFLICT DO NOTHING").Returning("id").Scan(ctx, &inserted); err != nil {
		return err
	}
	ok := map[string]bool{}
	for _, id := range inserted {
		ok[id] = true
	}
	news := map[string]*chatNews{}
	var evs []events.Event
	for _, r := range rows {
		m, c := r.msg, r.chat
		if !ok[m.ID] {
			continue // the same message came in another delivery
		}
		if news[c.ID] == nil {
			news[c.ID] = &chatNews{chat: c}
		}
		news[c.ID].add(m)
		if hasPendingFile(m) {
			if err := s.enqueueFetch(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		m.fill()
		payload, err := json.Marshal(messageEvent(c, m))
		if err != nil {
			return err
		}
		evs = append(evs, events.Event{OrgID: m.OrgID, Type: "message.received", SubjectID: m.ChatID, Actor: "system:" + c.ChannelKind, Payload: payload})
	}
	if len(news) == 0 {
		return nil
	}
	if _, err := s.events.RecordAll(ctx, tx, evs); err != nil {
		return err
	}
	if p := pendingOf(ctx); p != nil {
		p.add(news)
		return nil
	}
	return s.writeNews(ctx, tx, news)
}

// chatNews is what received messages change on a chat: its latest
// message, and n more unread for every member.
type chatNews struct {
	chat Chat
	last Message
	n    int
	seq  *int64 // the highest channel number among the messages
}

// add counts message m.
func (n *chatNews) add(m Message) {
	n.last, n.n = later(n.last, m), n.n+1
	if v, ok := channelSeq(m); ok {
		n.seq = maxSeq(n.seq, &v)
	}
}

// merge adds o's news of the same chat.
func (n *chatNews) merge(o *chatNews) {
	n.last, n.n, n.seq = later(n.last, o.last), n.n+o.n, maxSeq(n.seq, o.seq)
}

// maxSeq is the higher of two channel numbers, either of which may be absent.
func maxSeq(a, b *int64) *int64 {
	if b != nil && (a == nil || *b > *a) {
		return b
	}
	return a
}

// pendingNews holds a receiving transaction's chat news until its end.
// Chats, unread counts and totals are rows every writer shares; written
// once, last and in key order, they are locked for the commit only and
// always in the same order, so two writers neither wait on each other
// for long nor deadlock.
type pendingNews struct{ news map[string]*chatNews }

type pendingKey struct{}

func pendingOf(ctx context.Context) *pendingNews {
	p, _ := ctx.Value(pendingKey{}).(*pendingNews)
	return p
}

func (p *pendingNews) add(news map[string]*chatNews) {
	for id, n := range news {
		if old := p.news[id]; old != nil {
			old.merge(n)
			continue
		}
		p.news[id] = n
	}
}

// flushNews writes the transaction's pending chat news now (before a
// change that must follow them, and at its end).
func (s *Service) flushNews(ctx context.Context, tx bun.Tx) error {
	p := pendingOf(ctx)
	if p == nil || len(p.news) == 0 {
		return nil
	}
	news := p.news
	p.news = map[string]*chatNews{}
	return s.writeNews(ctx, tx, news)
}

// receiveTx runs fn in a transaction that writes its chat news at the end.
func (s *Service) receiveTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ctx = context.WithValue(ctx, pendingKey{}, &pendingNews{news: map[string]*chatNews{}})
		if err := fn(ctx, tx); err != nil {
			return err
		}
		return s.flushNews(ctx, tx)
	})
}

// writeNews updates chats, every member's unread counts and their totals
// for news, each with one statement, in key order.
func (s *Service) writeNews(ctx context.Context, tx bun.Tx, news map[string]*chatNews) error {
	order := slices.Sorted(maps.Keys(news))
	var chatRows, unreadRows []string
	var chatArgs, unreadArgs []any
	shards := map[shardKey]int{}
	for _, id := range order {
		n := news[id]
		chatRows = append(chatRows, "(?, ?, ?, CAST(? AS BIGINT))")
		chatArgs = append(chatArgs, id, n.last.CreatedAt, preview(n.last), n.seq)
		unreadRows = append(unreadRows, "(?, ?, ?, ?)")
		unreadArgs = append(unreadArgs, id, n.chat.OrgID, n.n, n.last.CreatedAt)
		shards[shardKey{n.chat.OrgID, unreadShard(id)}] += n.n
	}
	// A message opens a closed chat again, and one from a person who had
	// blocked the bot means they are back. A message put before a later
	// one (keepChannelOrder) leaves the chat's latest message as it is.
	at := s.db.Kind.AsTime("v.at")
	newer := `(chats.last_message_at IS NULL OR ` + at + ` > chats.last_message_at)`
	if _, err := tx.NewRaw(`WITH v (id, at, preview, seq) AS (VALUES `+strings.Join(chatRows, ", ")+`)
		UPDATE chats SET last_inbound_seq = CASE WHEN v.seq IS NOT NULL AND (chats.last_inbound_seq IS NULL OR v.seq > chats.last_inbound_seq)
			THEN v.seq ELSE chats.last_inbound_seq END,
		last_message_at = CASE WHEN `+newer+` THEN `+at+` ELSE chats.last_message_at END,
		sort_at = CASE WHEN chats.sort_at IS NULL OR `+at+` > chats.sort_at THEN `+at+` ELSE chats.sort_at END,
		last_message_preview = CASE WHEN `+newer+` THEN v.preview ELSE chats.last_message_preview END,
		status = 'open', blocked = ?, updated_at = ? FROM v WHERE chats.id = v.id`, append(chatArgs, false, s.now())...).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewRaw(`WITH v (chat_id, org_id, n, at) AS (VALUES `+strings.Join(unreadRows, ", ")+`)
		INSERT INTO chat_unread (user_id, chat_id, org_id, count, last_at)
		SELECT m.user_id, v.chat_id, m.org_id, v.n, `+at+` FROM v JOIN memberships AS m ON m.org_id = v.org_id
		WHERE true ORDER BY m.user_id, v.chat_id
		ON CONFLICT (user_id, chat_id) DO UPDATE SET count = chat_unread.count + excluded.count, last_at = excluded.last_at`,
		unreadArgs...).Exec(ctx); err != nil {
		return err
	}
	keys := slices.SortedFunc(maps.Keys(shards), func(a, b shardKey) int {
		return cmp.Or(cmp.Compare(a.orgID, b.orgID), cmp.Compare(a.shard, b.shard))
	})
	var totalRows []string
	var totalArgs []any
	for _, k := range keys {
		totalRows = append(totalRows, "(?, ?, ?)")
		totalArgs = append(totalArgs, k.orgID, k.shard, shards[k])
	}
	_, err := tx.NewRaw(`WITH v (org_id, shard, n) AS (VALUES `+strings.Join(totalRows, ", ")+`)
		INSERT INTO chat_unread_totals (user_id, org_id, shard, total, version)
		SELECT m.user_id, v.org_id, v.shard, v.n, 1 FROM v JOIN memberships AS m ON m.org_id = v.org_id
		WHERE true ORDER BY m.user_id, v.org_id, v.shard
		ON CONFLICT (user_id, org_id, shard) DO UPDATE SET total = chat_unread_totals.total + excluded.total,
			version = chat_unread_totals.version + 1`,
		totalArgs...).Exec(ctx)
	return err
}

// hasPendingFile tells whether a message carries a file still to fetch.
func hasPendingFile(m Message) bool {
	for _, a := range decodeAttachments(m.AttachmentsText) {
		if a.ExternalID != "" && a.Status == "pending" {
			return true
		}
	}
	return false
}

// chatsOf reads the existing chats the requests write to.
func (s *Service) chatsOf(ctx context.Context, tx bun.Tx, reqs []*receiveReq) (map[[2]string]Chat, error) {
	channels, externals := map[string]bool{}, map[string]bool{}
	for _, r := range reqs {
		channels[r.ch.ID], externals[r.items[0].Chat.ExternalID] = true, true
	}
	var list []Chat
	if err := tx.NewSelect().Model(&list).Where("channel_id IN (?)", bun.In(keysOf(channels))).
		Where("external_id IN (?)", bun.In(keysOf(externals))).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[[2]string]Chat, len(list))
	for _, c := range list {
		out[[2]string{c.ChannelID, c.ExternalID}] = c
	}
	return out, nil
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// inboundMessage is the stored form of an inbound message to chat.
func (s *Service) inboundMessage(ch ChannelRecord, chat Chat, it Inbound) Message {
	// Messages are ordered by when Kite got them; when the person sent
	// it (the channel's time, in whole seconds) is kept as sent_at.
	ext, sentAt := it.ExternalID, it.At.UTC()
	m := Message{ID: db.NewID(), OrgID: ch.OrgID, ChatID: chat.ID, ChannelID: ch.ID, Direction: In, SenderKind: SenderContact,
		SenderName: it.From.name(), Text: it.Text, SearchText: crm.FoldForSearch(it.Text), Status: StatusReceived,
		ExternalID: &ext, CreatedAt: s.now(), AttachmentsText: encodeAttachments(it.Attachments)}
	if !it.At.IsZero() {
		m.SentAt = &sentAt
	}
	if chat.Kind == ChatPrivate && chat.ContactID != nil {
		m.SenderID = *chat.ContactID
	}
	return m
}
