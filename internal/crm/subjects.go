package crm

import (
	"context"
	"net/http"

	"github.com/a-h/templ"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
)

// Capabilities above the CRM attach their records to it: deals carry notes
// like contacts do, and a contact's timeline includes its deals' events.
// They register here instead of the CRM importing them.

// SubjectCheck reports whether a record of the org has this id (an error
// that maps to 404 when not).
type SubjectCheck func(ctx context.Context, q bun.IDB, orgID, id string) error

// RelatedFunc lists the records whose events belong in the timeline of a
// contact or company (subject is SubjectContact or SubjectCompany).
type RelatedFunc func(ctx context.Context, orgID, subject, id string) ([]string, error)

// PanelFunc draws a capability's card on a contact's or company's page
// (subject is SubjectContact or SubjectCompany); nil draws nothing.
type PanelFunc func(r *http.Request, c *org.WebCtx, subject, id string) (templ.Component, error)

// AddRecordPanel adds a card to the contact and company pages.
func (s *Service) AddRecordPanel(fn PanelFunc) { s.panels = append(s.panels, fn) }

// recordPanels draws the registered cards for a record's page.
func (s *Service) recordPanels(r *http.Request, c *org.WebCtx, subject, id string) ([]templ.Component, error) {
	var out []templ.Component
	for _, fn := range s.panels {
		comp, err := fn(r, c, subject, id)
		if err != nil {
			return nil, err
		}
		if comp != nil {
			out = append(out, comp)
		}
	}
	return out, nil
}

// AddNoteSubject lets notes be written on another kind of record.
func (s *Service) AddNoteSubject(kind string, exists SubjectCheck) {
	if s.noteSubjects == nil {
		s.noteSubjects = map[string]SubjectCheck{}
	}
	s.noteSubjects[kind] = exists
}

// RelateSubjects adds a way timelines find related records (deals,
// conversations); each capability above the CRM adds its own.
func (s *Service) RelateSubjects(fn RelatedFunc) { s.related = append(s.related, fn) }

// DeleteNotesOf removes the notes of a record being deleted, in its transaction.
func (s *Service) DeleteNotesOf(ctx context.Context, tx bun.Tx, orgID, subject, id string) error {
	_, err := tx.NewDelete().Model((*Note)(nil)).Where("org_id = ?", orgID).Where("subject_type = ?", subject).Where("subject_id = ?", id).Exec(ctx)
	return err
}

// timelineSubjects is the record and its related records.
func (s *Service) timelineSubjects(ctx context.Context, orgID, subject, id string) ([]string, error) {
	ids := []string{id}
	if subject != SubjectContact && subject != SubjectCompany {
		return ids, nil
	}
	for _, related := range s.related {
		more, err := related(ctx, orgID, subject, id)
		if err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	return ids, nil
}
