package crm

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// maxNoteLen bounds a note's text.
const maxNoteLen = 20000

var errNoteNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such note.")

func cleanNote(body string) (string, error) {
	body = strings.TrimSpace(body)
	switch {
	case body == "":
		return "", invalidField("body", "Write something.")
	case utf8.RuneCountInString(body) > maxNoteLen:
		return "", invalidField("body", "A note has at most 20,000 characters.")
	}
	return body, nil
}

// subjectExists checks that a contact or company (or a registered kind of
// record) of the org has this id.
func (s *Service) subjectExists(ctx context.Context, q bun.IDB, orgID, subject, id string) error {
	if check, ok := s.noteSubjects[subject]; ok {
		return check(ctx, q, orgID, id)
	}
	model, notFound := any((*Contact)(nil)), errContactNotFound
	if subject == SubjectCompany {
		model, notFound = (*Company)(nil), errCompanyNotFound
	}
	if !db.ValidID(id) {
		return notFound
	}
	ok, err := q.NewSelect().Model(model).Where("org_id = ?", orgID).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return notFound
	}
	return nil
}

// Notes lists the notes of a contact or company, newest first.
func (s *Service) Notes(ctx context.Context, orgID, subject, id, cursor string, limit int) ([]Note, string, error) {
	if err := s.subjectExists(ctx, s.db.Read, orgID, subject, id); err != nil {
		return nil, "", err
	}
	n := httpx.Limit(limit)
	out := []Note{}
	q := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).Where("subject_type = ?", subject).
		Where("subject_id = ?", id).OrderExpr("id DESC").Limit(int64(n + 1))
	var after struct {
		ID string `json:"i"`
	}
	if ok, err := httpx.DecodeCursor(cursor, &after); err != nil {
		return nil, "", err
	} else if ok {
		q.Where("id < ?", after.ID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		after.ID = out[n-1].ID
		next = httpx.EncodeCursor(after)
	}
	return out, next, nil
}

// AddNote writes a note on a contact, company or registered record.
func (s *Service) AddNote(ctx context.Context, a org.Actor, subject, id, body string) (Note, error) {
	clean, err := cleanNote(body)
	if err != nil {
		return Note{}, err
	}
	now := s.now().UTC()
	n := Note{ID: db.NewID(), OrgID: a.OrgID, SubjectType: subject, SubjectID: id, Body: clean, AuthorID: a.ID(), CreatedAt: now, UpdatedAt: now}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.subjectExists(ctx, tx, a.OrgID, subject, id); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&n).Exec(ctx); err != nil {
			return err
		}
		// The note event is about the contact/company, so it shows in its timeline.
		return s.record(ctx, tx, a, "note.created", id, map[string]string{"note_id": n.ID, "subject_type": subject, "body": n.Body})
	})
	return n, err
}

// UpdateNote changes a note's text.
func (s *Service) UpdateNote(ctx context.Context, a org.Actor, id, body string) (Note, error) {
	clean, err := cleanNote(body)
	if err != nil {
		return Note{}, err
	}
	var n Note
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if n, err = forWrite[Note](ctx, tx, a, id, errNoteNotFound); err != nil {
			return err
		}
		old := n.Body
		n.Body, n.UpdatedAt = clean, s.now().UTC()
		if _, err := tx.NewUpdate().Model(&n).Column("body", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "note.updated", n.SubjectID, map[string]any{"note_id": n.ID, "changes": map[string]change{"body": {Old: old, New: clean}}})
	})
	return n, err
}

// DeleteNote removes a note.
func (s *Service) DeleteNote(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := forWrite[Note](ctx, tx, a, id, errNoteNotFound)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Note)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "note.deleted", n.SubjectID, map[string]string{"note_id": n.ID})
	})
}
