package crm

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/web"
)

// The activity timeline reads the events about a record: created, fields
// changed (old -> new), notes added, edited and removed, merges. Later
// capabilities (messages, deals) add their own event types; an unknown
// type still shows, by its name.

// activityItem is one line of the timeline.
type activityItem struct {
	Actor   string
	What    string
	Changes []activityChange
	Parts   []web.TextPart // a note's text
	At      time.Time
}

// activityChange is one field's old and new value, written for people.
type activityChange struct {
	Field, Old, New string
}

// eventPayload holds the parts of the CRM's event payloads the timeline shows.
type eventPayload struct {
	Changes    map[string]change `json:"changes"`
	Body       string            `json:"body"`
	MergedName string            `json:"merged_name"`
	// Deals, which join their contact's and company's timelines.
	Title     string `json:"title"`
	FromStage string `json:"from_stage"`
	ToStage   string `json:"to_stage"`
	// Messages of the contact's conversations.
	Message *struct {
		Text   string `json:"text"`
		Sender struct {
			Name string `json:"name"`
		} `json:"sender"`
		Attachments []json.RawMessage `json:"attachments"`
	} `json:"message"`
}

// timelineSkips are events that say nothing new about a contact: a card's
// place in its column, and a message's later states (sent, fetched, read).
var timelineSkips = map[string]bool{"deal.reordered": true, "message.sent": true, "message.failed": true,
	"message.updated": true, "message.edited": true, "chat.read": true, "chat.assigned": true}

// timeline turns events into lines, naming people and companies with one
// query for all of them.
func (s *Service) timeline(r *http.Request, orgID string, kind recordKind, list []events.Event, labels map[string]string, members people) ([]activityItem, error) {
	payloads := make([]eventPayload, len(list))
	var companyIDs []string
	for i, e := range list {
		json.Unmarshal(e.Payload, &payloads[i])
		if ch, ok := payloads[i].Changes["company_id"]; ok {
			companyIDs = append(companyIDs, fmt.Sprint(ch.Old), fmt.Sprint(ch.New))
		}
	}
	companies, err := s.companyNames(r.Context(), orgID, companyIDs)
	if err != nil {
		return nil, err
	}
	show := func(field string, v any) string {
		s := changeText(v)
		switch field {
		case "owner_id":
			return members.name(s)
		case "company_id":
			if s != "" && companies[s] == "" {
				return "a removed company"
			}
			return companies[s]
		}
		return s
	}
	out := make([]activityItem, 0, len(list))
	for i, e := range list {
		if timelineSkips[e.Type] {
			continue
		}
		p := payloads[i]
		item := activityItem{Actor: actorName(e.Actor, members), At: e.OccurredAt, What: eventWhat(e.Type, kind, p)}
		switch e.Type {
		case "note.created":
			item.Parts = web.Linkify(p.Body)
		case "message.received", "message.queued":
			if p.Message != nil {
				if e.Type == "message.received" {
					item.Actor = p.Message.Sender.Name
				}
				item.Parts = web.Linkify(messageLine(p.Message.Text, len(p.Message.Attachments)))
			}
		}
		if e.Type != "note.updated" {
			for _, field := range slices.Sorted(maps.Keys(p.Changes)) {
				ch := p.Changes[field]
				label := labels[field]
				if label == "" {
					label = strings.TrimPrefix(field, customPrefix)
				}
				item.Changes = append(item.Changes, activityChange{Field: label, Old: show(field, ch.Old), New: show(field, ch.New)})
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// eventWhat says what happened, after the actor's name.
func eventWhat(typ string, kind recordKind, p eventPayload) string {
	switch typ {
	case kind.Subject + ".created":
		return "created this " + kind.Noun
	case kind.Subject + ".updated":
		return "changed"
	case kind.Subject + ".merged":
		return "merged " + p.MergedName + " into this " + kind.Noun
	case "note.created":
		return "added a note"
	case "note.updated":
		return "edited a note"
	case "note.deleted":
		return "deleted a note"
	case "deal.created":
		return "created the deal " + p.Title
	case "deal.stage_changed":
		return "moved the deal " + p.Title + " from " + p.FromStage + " to " + p.ToStage
	case "deal.won":
		return "won the deal " + p.Title
	case "deal.lost":
		return "lost the deal " + p.Title
	case "deal.updated":
		return "changed the deal " + p.Title
	case "deal.deleted":
		return "deleted the deal " + p.Title
	case "message.received":
		return "wrote"
	case "message.queued":
		return "answered"
	case "chat.created":
		return "started a conversation"
	case "chat.closed":
		return "closed the conversation"
	case "chat.reopened":
		return "reopened the conversation"
	case "chat.relinked":
		return "linked a conversation"
	}
	return strings.ReplaceAll(typ, "_", " ")
}

// messageLine is a message as its timeline line quotes it.
func messageLine(text string, files int) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > 280 {
		text = string(r[:280]) + "…"
	}
	if files > 0 {
		if text != "" {
			text += " "
		}
		text += fmt.Sprintf("(%d attachment%s)", files, map[bool]string{true: "", false: "s"}[files == 1])
	}
	return text
}

// actorName names who caused an event: "user:<id>", "apikey:<id>", "system".
func actorName(actor string, members people) string {
	kind, id, _ := strings.Cut(actor, ":")
	switch kind {
	case "user":
		return members.name(id)
	case "apikey":
		return "An API key"
	case "agent":
		return "An agent"
	}
	return "Kite"
}

// changeText writes an old or new value: lists joined, nothing as "".
func changeText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	}
	return customText(v)
}

// orDash shows an empty value as a dash.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
