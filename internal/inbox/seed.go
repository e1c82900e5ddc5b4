package inbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/platform/db"
)

// Seeding fills an organization's inbox with chats for benchmarks and
// demos, fast: many rows per statement and no domain events. The chats
// belong to one seeded bot that has no token (it cannot send; its chats
// are for reading), linked to the org's contacts when it has any.

// SeedOptions size the inbox.
type SeedOptions struct {
	Chats int
	// Messages per chat (default 2: one in, one out).
	Messages int
	// UnreadEvery: every n-th chat has unread messages for each member
	// (default 20, so 5% of chats).
	UnreadEvery int
	// LongChat, when above 0, adds one more chat holding that many
	// messages, titled LongChatTitle(LongChat), so opening a long history
	// can be timed; it is the newest chat, first in the list.
	LongChat int
	Seed     uint64
}

// maxLongChat bounds the long chat; a million messages already take
// minutes to write.
const maxLongChat = 1_000_000

// LongChatTitle is the title of the long chat of a seed: the words find it
// through the chat search and the count says which one when several exist.
func LongChatTitle(messages int) string {
	return fmt.Sprintf("Long conversation (%d messages)", messages)
}

// seedBatch is chats per transaction.
const seedBatch = 5000

// seedRowsPerInsert bounds one statement's text (bun inlines the values).
const seedRowsPerInsert = 1000

var seedLines = []string{"Hi, is the offer still valid?", "Can you send the invoice again?", "Thanks, that works for us",
	"When can we schedule a demo?", "We need two more seats", "Let me check with my team", "Sounds good!",
	"What is the price for 50 users?", "The contract is signed", "Could we move the call to Friday?"}

// Seed adds o.Chats chats to the org and returns how many it made.
func (s *Service) Seed(ctx context.Context, orgID string, o SeedOptions, progress func(done, total int)) (int, error) {
	if o.Chats < 0 || o.Chats > 10_000_000 {
		return 0, fmt.Errorf("seed: want 0 to 10,000,000 chats")
	}
	if o.LongChat < 0 || o.LongChat > maxLongChat {
		return 0, fmt.Errorf("seed: want 0 to 1,000,000 messages in the long chat")
	}
	if o.Messages <= 0 {
		o.Messages = 2
	}
	if o.UnreadEvery <= 0 {
		o.UnreadEvery = 20
	}
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	now := s.now()
	ch := ChannelRecord{ID: db.NewID(), OrgID: orgID, Kind: "telegram", Name: "Seeded bot",
		ExternalID: "seed-" + strconv.FormatInt(now.UnixNano(), 36), Username: "seeded_bot", Status: ChannelActive,
		Delivery: "webhook", CreatedAt: now, UpdatedAt: now}
	var contacts, members []string
	if err := s.db.NewSelect().Model((*crm.Contact)(nil)).Column("id").Where("org_id = ?", orgID).Limit(int64(o.Chats)).Scan(ctx, &contacts); err != nil {
		return 0, err
	}
	if err := s.db.NewSelect().Table("memberships").Column("user_id").Where("org_id = ?", orgID).Scan(ctx, &members); err != nil {
		return 0, err
	}
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&ch).Exec(ctx)
		return err
	}); err != nil {
		return 0, err
	}
	for start := 0; start < o.Chats; start += seedBatch {
		n := min(seedBatch, o.Chats-start)
		var chats []Chat
		var msgs []Message
		var unread []unreadRow
		for i := start; i < start+n; i++ {
			at := now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Microsecond)
			c := Chat{ID: db.NewID(), OrgID: orgID, ChannelID: ch.ID, ChannelKind: ch.Kind, ExternalID: strconv.Itoa(1_000_000 + i),
				Kind: ChatPrivate, Title: seedName(rng), Status: ChatOpen, SortAt: at, LastMessageAt: &at, CreatedAt: at, UpdatedAt: at}
			if i%10 == 9 {
				c.Kind, c.ExternalID, c.Title = ChatGroup, "-"+c.ExternalID, c.Title+" & team"
			} else if i < len(contacts) {
				c.ContactID = &contacts[i]
			}
			if i%7 == 0 {
				c.Status = ChatClosed
			}
			for j := range o.Messages {
				text := seedLines[rng.IntN(len(seedLines))]
				m := Message{ID: db.NewID(), OrgID: orgID, ChatID: c.ID, ChannelID: ch.ID, Direction: In, SenderKind: SenderContact,
					SenderName: c.Title, Text: text, SearchText: crm.FoldForSearch(text), AttachmentsText: "[]", Status: StatusReceived,
					CreatedAt: at.Add(-time.Duration(o.Messages-1-j) * time.Minute)}
				ext := strconv.Itoa(j + 1)
				m.ExternalID = &ext
				if j%2 == 1 {
					m.Direction, m.SenderKind, m.SenderName, m.Status, m.ExternalID = Out, SenderUser, "Seed Owner", StatusSent, nil
				}
				msgs = append(msgs, m)
			}
			c.LastMessagePreview = preview(msgs[len(msgs)-1])
			chats = append(chats, c)
			if i%o.UnreadEvery == 0 {
				for _, u := range members {
					unread = append(unread, unreadRow{UserID: u, ChatID: c.ID, OrgID: orgID, Count: 1 + rng.IntN(5), LastAt: at})
				}
			}
		}
		err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := seedInsert(ctx, tx, chats); err != nil {
				return err
			}
			if err := seedInsert(ctx, tx, msgs); err != nil {
				return err
			}
			return seedInsert(ctx, tx, unread)
		})
		if err != nil {
			return start, err
		}
		if progress != nil {
			progress(start+n, o.Chats)
		}
	}
	if o.LongChat > 0 {
		if err := s.seedLongChat(ctx, ch, o.LongChat, now); err != nil {
			return o.Chats, err
		}
	}
	// The members' totals, from the unread rows just written.
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rows []unreadRow
		if err := tx.NewSelect().Model(&rows).Column("user_id", "chat_id", "count").Where("org_id = ?", orgID).Scan(ctx); err != nil {
			return err
		}
		sums := map[[2]any]int{}
		for _, r := range rows {
			sums[[2]any{r.UserID, unreadShard(r.ChatID)}] += r.Count
		}
		// Rewritten in place, each row's version counting on: a member's
		// versions may never sum to a value read before (unread_cache.go).
		if _, err := tx.NewUpdate().Model((*unreadTotal)(nil)).Set("total = 0").Set("version = version + 1").
			Where("org_id = ?", orgID).Exec(ctx); err != nil {
			return err
		}
		totals := make([]unreadTotal, 0, len(sums))
		for k, n := range sums {
			totals = append(totals, unreadTotal{UserID: k[0].(string), OrgID: orgID, Shard: k[1].(int), Total: n, Version: 1})
		}
		if len(totals) == 0 {
			return nil
		}
		_, err := tx.NewInsert().Model(&totals).On("CONFLICT (user_id, org_id, shard) DO UPDATE").
			Set("total = EXCLUDED.total").Set("version = ?TableAlias.version + 1").Exec(ctx)
		return err
	}); err != nil {
		return o.Chats, err
	}
	if s.db.Kind == db.Postgres {
		// Plan the benchmark that follows for the tables as they are now.
		if _, err := s.db.ExecContext(ctx, "ANALYZE chats, messages, chat_unread, chat_unread_totals"); err != nil {
			return o.Chats, err
		}
	}
	return o.Chats, nil
}

// seedLongChat adds one chat with n messages, alternating between the
// customer and a member a minute apart and ending now. The chat row goes
// first so the messages' foreign key holds; the messages follow in
// transactions of seedBatch*2 rows, like the other seeded rows. The texts
// cycle through seedLines by position, so the chat's preview is known
// before its last message is built.
func (s *Service) seedLongChat(ctx context.Context, ch ChannelRecord, n int, now time.Time) error {
	now = now.Truncate(time.Microsecond)
	first := now.Add(-time.Duration(n-1) * time.Minute)
	c := Chat{ID: db.NewID(), OrgID: ch.OrgID, ChannelID: ch.ID, ChannelKind: ch.Kind, ExternalID: "999999",
		Kind: ChatPrivate, Title: LongChatTitle(n), Status: ChatOpen, SortAt: now, LastMessageAt: &now, CreatedAt: first, UpdatedAt: now}
	msg := func(j int) Message {
		text := seedLines[j%len(seedLines)]
		m := Message{ID: db.NewID(), OrgID: ch.OrgID, ChatID: c.ID, ChannelID: ch.ID, Direction: In, SenderKind: SenderContact,
			SenderName: "Long Customer", Text: text, SearchText: crm.FoldForSearch(text), AttachmentsText: "[]", Status: StatusReceived,
			CreatedAt: first.Add(time.Duration(j) * time.Minute)}
		ext := strconv.Itoa(j + 1)
		m.ExternalID = &ext
		if j%2 == 1 {
			m.Direction, m.SenderKind, m.SenderName, m.Status, m.ExternalID = Out, SenderUser, "Seed Owner", StatusSent, nil
		}
		return m
	}
	c.LastMessagePreview = preview(msg(n - 1))
	if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return seedInsert(ctx, tx, []Chat{c})
	}); err != nil {
		return err
	}
	msgs := make([]Message, 0, min(n, 2*seedBatch))
	for start := 0; start < n; start += 2 * seedBatch {
		msgs = msgs[:0]
		for j := start; j < min(n, start+2*seedBatch); j++ {
			msgs = append(msgs, msg(j))
		}
		if err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return seedInsert(ctx, tx, msgs)
		}); err != nil {
			return err
		}
	}
	return nil
}

// seedInsert writes rows with multi-row INSERTs sent as plain text: with
// no arguments pgx uses the simple protocol and keeps no large,
// never-repeated statement in its cache.
func seedInsert[T any](ctx context.Context, tx bun.Tx, rows []T) error {
	for part := range slices.Chunk(rows, seedRowsPerInsert) {
		if _, err := tx.ExecContext(ctx, tx.NewInsert().Model(&part).String()); err != nil {
			return err
		}
	}
	return nil
}

var seedFirst = strings.Fields("Ann Bo Cy Di Eli Fay Gus Hana Ivo Jana Kai Lea Milo Nia Oskar Pia Quinn Rita Sven Tara")
var seedLast = strings.Fields("Kim Berg Novak Silva Meyer Rossi Dubois Jensen Costa Horvat Ito Khan Moreau Olsen")

func seedName(rng *rand.Rand) string {
	return seedFirst[rng.IntN(len(seedFirst))] + " " + seedLast[rng.IntN(len(seedLast))]
}
