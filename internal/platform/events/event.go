// Package events is Kite's domain event outbox. A service records an event
// in the same transaction as the change it describes; a job then delivers it
// to every subscriber registered in process (triggers, webhooks,
// notifications, realtime), each exactly once, with retries.
package events

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Event is something that happened in an organization.
type Event struct {
	ID         string          `json:"id"`
	OrgID      string          `json:"org_id"`
	Type       string          `json:"type"`       // e.g. "contact.created"
	SubjectID  string          `json:"subject_id"` // the record it is about
	Actor      string          `json:"actor"`      // "user:<id>", "agent:<id>", "system"
	Payload    json.RawMessage `json:"payload"`
	OccurredAt time.Time       `json:"occurred_at"`
}

// row is the outbox table.
type row struct {
	bun.BaseModel `bun:"table:events"`
	ID            string    `bun:"id,pk"`
	OrgID         string    `bun:"org_id"`
	Type          string    `bun:"type"`
	SubjectID     string    `bun:"subject_id"`
	Actor         string    `bun:"actor"`
	Payload       string    `bun:"payload"`
	OccurredAt    time.Time `bun:"occurred_at"`
}

func (r row) event() Event {
	return Event{ID: r.ID, OrgID: r.OrgID, Type: r.Type, SubjectID: r.SubjectID, Actor: r.Actor,
		Payload: json.RawMessage(r.Payload), OccurredAt: r.OccurredAt}
}

// delivery marks that a subscriber handled an event.
type delivery struct {
	bun.BaseModel `bun:"table:event_deliveries"`
	EventID       string    `bun:"event_id,pk"`
	Subscriber    string    `bun:"subscriber,pk"`
	DeliveredAt   time.Time `bun:"delivered_at"`
}
