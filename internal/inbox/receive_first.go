package inbox

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/events"
)

// First contact in bulk: when a busy bot hears from many new people at
// once (a campaign's replies, a post that went viral), their chats and
// contacts are made together, a few statements per batch instead of a
// dozen per person.

// newChat is the chat a first delivery starts (without its contact).
func (s *Service) newChat(ch ChannelRecord, it Inbound) Chat {
	now := s.now()
	c := Chat{ID: db.NewID(), OrgID: ch.OrgID, ChannelID: ch.ID, ChannelKind: ch.Kind, ExternalID: it.Chat.ExternalID,
		Kind: it.Chat.Kind, Title: truncate(it.Chat.Title, 200), Status: ChatOpen, SortAt: now, CreatedAt: now, UpdatedAt: now}
	if c.Kind == ChatPrivate && c.Title == "" {
		c.Title = it.From.name()
	}
	return c
}

// personContact is the contact made for a person writing for the first time.
func personContact(p Person) crm.ContactInput {
	first, last := truncate(p.FirstName, 100), truncate(p.LastName, 100)
	if first == "" && last == "" {
		first = p.Handle
		if p.Username != "" {
			first = p.Username
		}
	}
	in := crm.ContactInput{FirstName: &first, LastName: &last}
	if _, err := crm.NormalizeTelegramUsername(p.Username); err == nil && p.Username != "" {
		in.TelegramUsername = &p.Username
	}
	return in
}

// startChats makes the private chats of reqs that chats lacks, with their
// contacts (the one known by the person's handle or username, else a new
// one), and adds them to chats.
func (s *Service) startChats(ctx context.Context, tx bun.Tx, reqs []*receiveReq, chats map[[2]string]Chat) error {
	type start struct {
		ch ChannelRecord
		it Inbound
	}
	byChannel := map[string][]start{}
	var order []string
	seen := map[[2]string]bool{}
	for _, r := range reqs {
		it := r.items[0]
		k := [2]string{r.ch.ID, it.Chat.ExternalID}
		if _, ok := chats[k]; ok || seen[k] {
			continue
		}
		seen[k] = true
		if byChannel[r.ch.ID] == nil {
			order = append(order, r.ch.ID)
		}
		byChannel[r.ch.ID] = append(byChannel[r.ch.ID], start{r.ch, it})
	}
	for _, id := range order {
		starts := byChannel[id]
		ch := starts[0].ch
		people := make([]Person, len(starts))
		for i, st := range starts {
			people[i] = st.it.From
		}
		contacts, err := s.contactsFor(ctx, tx, ch, people)
		if err != nil {
			return err
		}
		list := make([]Chat, len(starts))
		evs := make([]events.Event, len(starts))
		for i, st := range starts {
			c := s.newChat(ch, st.it)
			c.ContactID = &contacts[i]
			list[i] = c
			payload, err := json.Marshal(chatEvent(c))
			if err != nil {
				return err
			}
			evs[i] = events.Event{OrgID: ch.OrgID, Type: "chat.created", SubjectID: c.ID, Actor: "system:" + ch.Kind, Payload: payload}
			chats[[2]string{ch.ID, c.ExternalID}] = c
		}
		if _, err := tx.NewInsert().Model(&list).Exec(ctx); err != nil {
			return err
		}
		if _, err := s.events.RecordAll(ctx, tx, evs); err != nil {
			return err
		}
	}
	return nil
}

// contactsFor is contactFor for many people of one channel: their contact
// ids, in order, creating the missing ones together.
func (s *Service) contactsFor(ctx context.Context, tx bun.Tx, ch ChannelRecord, people []Person) ([]string, error) {
	handles := make([]string, len(people))
	var usernames []string
	for i, p := range people {
		handles[i] = p.Handle
		if p.Username != "" {
			usernames = append(usernames, p.Username)
		}
	}
	var known []struct {
		Handle    string `bun:"handle"`
		ContactID string `bun:"contact_id"`
	}
	if err := tx.NewSelect().Table("contact_handles").Column("handle", "contact_id").Where("org_id = ?", ch.OrgID).
		Where("kind = ?", ch.Kind).Where("handle IN (?)", bun.In(handles)).Scan(ctx, &known); err != nil {
		return nil, err
	}
	byHandle := map[string]string{}
	for _, k := range known {
		byHandle[k.Handle] = k.ContactID
	}
	byName, err := s.crm.ContactIDsByTelegram(ctx, tx, ch.OrgID, usernames)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(people))
	var fresh []crm.ContactInput
	var freshAt []int
	for i, p := range people {
		if id := byHandle[p.Handle]; id != "" {
			ids[i] = id
			continue
		}
		if id := byName[crm.TelegramKey(p.Username)]; id != "" {
			ids[i] = id
		} else {
			fresh, freshAt = append(fresh, personContact(p)), append(freshAt, i)
		}
	}
	made, err := s.crm.CreateContactsTx(ctx, tx, org.SystemActor(ch.OrgID, ch.Kind), fresh)
	if err != nil {
		return nil, err
	}
	for j, c := range made {
		ids[freshAt[j]] = c.ID
	}
	var values []string
	var args []any
	for i, p := range people {
		if byHandle[p.Handle] == "" {
			values = append(values, "(?, ?, ?, ?)")
			args = append(args, ch.OrgID, ch.Kind, p.Handle, ids[i])
		}
	}
	if len(values) > 0 {
		if _, err := tx.NewRaw("INSERT INTO contact_handles (org_id, kind, handle, contact_id) VALUES "+strings.Join(values, ", ")+
			" ON CONFLICT DO NOTHING", args...).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return ids, nil
}
