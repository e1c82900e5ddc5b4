package crm

import (
	"context"

	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Activity is the timeline of a contact or company: the events about it
// (created, fields changed old -> new, notes, merges) and about its related
// records (deals), newest first, read from the event log through its
// (org_id, subject_id, id) index.
func (s *Service) Activity(ctx context.Context, orgID, subject, id, cursor string, limit int) ([]events.Event, string, error) {
	if err := s.subjectExists(ctx, s.db.Read, orgID, subject, id); err != nil {
		return nil, "", err
	}
	var before struct {
		ID string `json:"i"`
	}
	if _, err := httpx.DecodeCursor(cursor, &before); err != nil {
		return nil, "", err
	}
	n := httpx.Limit(limit)
	subjects, err := s.timelineSubjects(ctx, orgID, subject, id)
	if err != nil {
		return nil, "", err
	}
	list, err := s.events.AboutAny(ctx, orgID, subjects, before.ID, n+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > n {
		list = list[:n]
		before.ID = list[n-1].ID
		next = httpx.EncodeCursor(before)
	}
	return list, next, nil
}
