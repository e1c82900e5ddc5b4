package crm

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// ContactInput is a new contact, or (with nil fields left alone) a change.
type ContactInput struct {
	FirstName        *string        `json:"first_name,omitempty" maxLength:"100"`
	LastName         *string        `json:"last_name,omitempty" maxLength:"100"`
	Email            *string        `json:"email,omitempty" maxLength:"254"`
	Phone            *string        `json:"phone,omitempty" maxLength:"50"`
	TelegramUsername *string        `json:"telegram_username,omitempty" maxLength:"64"`
	Title            *string        `json:"title,omitempty" maxLength:"200"`
	CompanyID        *string        `json:"company_id,omitempty" maxLength:"64" doc:"Empty string unlinks"`
	OwnerID          *string        `json:"owner_id,omitempty" maxLength:"64" doc:"A member of the organization; empty string clears"`
	Tags             *[]string      `json:"tags,omitempty" maxItems:"50" doc:"Tag names, created on first use; replaces the contact's tags"`
	CustomFields     map[string]any `json:"custom_fields,omitempty" doc:"Values of the organization's custom fields"`
}

var errContactNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such contact.")

// apply validates the input and copies it onto c, returning the names of
// the changed fields with old and new values.
func (in ContactInput) apply(c *Contact) (map[string]change, error) {
	changed := map[string]change{}
	set := func(field string, dst *string, v *string, clean func(string) (string, error)) error {
		if v == nil {
			return nil
		}
		nv, err := clean(*v)
		if err != nil {
			return err
		}
		if nv != *dst {
			changed[field] = change{Old: *dst, New: nv}
			*dst = nv
		}
		return nil
	}
	text := func(field string, max int) func(string) (string, error) {
		return func(v string) (string, error) {
			v = strings.TrimSpace(v)
			if utf8.RuneCountInString(v) > max {
				return "", invalidField(field, "At most "+strconv.Itoa(max)+" characters.")
			}
			if !utf8.ValidString(v) {
				return "", invalidField(field, "Not valid text.")
			}
			return v, nil
		}
	}
	email := func(v string) (string, error) {
		e, err := NormalizeEmail(v)
		if err != nil {
			return "", invalidField("email", "This is not a valid email address.")
		}
		return e, nil
	}
	telegram := func(v string) (string, error) {
		u, err := NormalizeTelegramUsername(v)
		if err != nil {
			return "", invalidField("telegram_username", "A Telegram username has 5–32 letters, digits or underscores and starts with a letter.")
		}
		return u, nil
	}
	phone := func(v string) (string, error) {
		p, _ := NormalizePhone(v, "")
		return text("phone", 50)(p)
	}
	for _, f := range []struct {
		name  string
		dst   *string
		v     *string
		clean func(string) (string, error)
	}{
		{"first_name", &c.FirstName, in.FirstName, text("first_name", 100)},
		{"last_name", &c.LastName, in.LastName, text("last_name", 100)},
		{"email", &c.Email, in.Email, email},
		{"phone", &c.Phone, in.Phone, phone},
		{"telegram_username", &c.TelegramUsername, in.TelegramUsername, telegram},
		{"title", &c.Title, in.Title, text("title", 200)},
		{"company_id", &c.CompanyID, in.CompanyID, text("company_id", 64)},
		{"owner_id", &c.OwnerID, in.OwnerID, text("owner_id", 64)},
	} {
		if err := set(f.name, f.dst, f.v, f.clean); err != nil {
			return nil, err
		}
	}
	if c.FirstName == "" && c.LastName == "" && c.Email == "" {
		return nil, invalidField("first_name", "Give the contact a name or an email address.")
	}
	c.PhoneKey = PhoneKey(c.Phone)
	c.TelegramKey = strings.ToLower(c.TelegramUsername)
	return changed, nil
}

// contactSearchText is what full-text search indexes for a contact. The
// email also appears split into words, so a partial address ("ann@acme")
// matches as a phrase of prefixes on both databases.
func contactSearchText(c Contact, companyName string) string {
	emailWords := strings.NewReplacer("@", " ", ".", " ").Replace(c.Email)
	return FoldForSearch(strings.Join([]string{c.FirstName, c.LastName, c.Email, emailWords, c.Phone, c.TelegramUsername, c.Title, companyName}, " "))
}

// CreateContact adds a contact.
func (s *Service) CreateContact(ctx context.Context, a org.Actor, in ContactInput) (Contact, error) {
	var c Contact
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		c, err = s.CreateContactTx(ctx, tx, a, in)
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return c, nil
}

// CreateContactTx adds a contact inside the caller's transaction, for a
// capability whose own write makes one (the first message of a stranger).
func (s *Service) CreateContactTx(ctx context.Context, tx bun.Tx, a org.Actor, in ContactInput) (Contact, error) {
	now := s.now().UTC()
	c := Contact{ID: db.NewID(), OrgID: a.OrgID, CustomFieldsText: "{}", CreatedAt: now, UpdatedAt: now}
	if _, err := in.apply(&c); err != nil {
		return Contact{}, err
	}
	companyName, err := s.checkContactLinks(ctx, tx, a.OrgID, c)
	if err != nil {
		return Contact{}, err
	}
	c.SearchText = contactSearchText(c, companyName)
	if c.CustomFieldsText, _, err = s.applyCustomValues(ctx, tx, a.OrgID, SubjectContact, "{}", in.CustomFields); err != nil {
		return Contact{}, err
	}
	if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
		return Contact{}, emailConflict(err)
	}
	if in.Tags != nil {
		if c.Tags, err = s.setTags(ctx, tx, a.OrgID, SubjectContact, c.ID, c.CreatedAt, *in.Tags); err != nil {
			return Contact{}, err
		}
	}
	if err := s.record(ctx, tx, a, "contact.created", c.ID, contactPayload(c)); err != nil {
		return Contact{}, err
	}
	return decodeContact(c), nil
}

// ContactIDByTelegram finds the org's contact with this Telegram username
// (any case); "" when there is none.
func (s *Service) ContactIDByTelegram(ctx context.Context, q bun.IDB, orgID, username string) (string, error) {
	key := TelegramKey(username)
	if key == "" {
		return "", nil
	}
	var ids []string
	err := q.NewSelect().Model((*Contact)(nil)).Column("id").Where("org_id = ?", orgID).Where("telegram_key = ?", key).
		OrderExpr("created_at, id").Limit(1).Scan(ctx, &ids)
	if err != nil || len(ids) == 0 {
		return "", err
	}
	return ids[0], nil
}

// checkContactLinks checks the company and owner belong to the org and
// returns the company's name for search.
func (s *Service) checkContactLinks(ctx context.Context, tx bun.Tx, orgID string, c Contact) (string, error) {
	if err := s.checkOwner(ctx, orgID, c.OwnerID); err != nil {
		return "", err
	}
	if c.CompanyID == "" {
		return "", nil
	}
	var name string
	err := tx.NewSelect().Model((*Company)(nil)).Column("name").Where("org_id = ?", orgID).Where("id = ?", c.CompanyID).Scan(ctx, &name)
	if err != nil || !db.ValidID(c.CompanyID) {
		return "", invalidField("company_id", "No company of this organization has this id.")
	}
	return name, nil
}

func emailConflict(err error) error {
	if errors.Is(db.MapError(err), db.ErrConflict) {
		p := httpx.NewProblem(http.StatusConflict, "email_taken", "Another contact of this organization has this email address.")
		p.Errors = append(p.Errors, fieldDetail("body.email", p.Detail))
		return p
	}
	return err
}

// Contact returns one contact with its tags.
func (s *Service) Contact(ctx context.Context, orgID, id string) (Contact, error) {
	var c Contact
	if !db.ValidID(id) {
		return c, errContactNotFound
	}
	q := s.db.Read.NewSelect().Model(&c).Where("contact.org_id = ?", orgID).Where("contact.id = ?", id)
	s.selectTags(q, SubjectContact, "contact")
	if err := q.Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return c, errContactNotFound
		}
		return c, err
	}
	return decodeContact(c), nil
}

// UpdateContact changes the given fields and records contact.updated with
// each changed field's old and new value.
func (s *Service) UpdateContact(ctx context.Context, a org.Actor, id string, in ContactInput) (Contact, error) {
	var out Contact
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.contactForWrite(ctx, tx, a, id)
		if err != nil {
			return err
		}
		out, err = s.updateContactInTx(ctx, tx, a, c, in)
		return err
	})
	if err != nil {
		return Contact{}, err
	}
	return decodeContact(out), nil
}

// contactForWrite loads a contact of the actor's org for a change: absent
// (or another org's) is 404, a role without the permission then 403.
func (s *Service) contactForWrite(ctx context.Context, tx bun.Tx, a org.Actor, id string) (Contact, error) {
	return forWrite[Contact](ctx, tx, a, id, errContactNotFound)
}

// updateContactInTx applies in to a loaded contact inside tx.
func (s *Service) updateContactInTx(ctx context.Context, tx bun.Tx, a org.Actor, c Contact, in ContactInput) (Contact, error) {
	changed, err := in.apply(&c)
	if err != nil {
		return c, err
	}
	companyName, err := s.checkContactLinks(ctx, tx, a.OrgID, c)
	if err != nil {
		return c, err
	}
	var custom map[string]change
	if c.CustomFieldsText, custom, err = s.applyCustomValues(ctx, tx, a.OrgID, SubjectContact, c.CustomFieldsText, in.CustomFields); err != nil {
		return c, err
	}
	maps.Copy(changed, custom)
	if in.Tags != nil {
		old := s.tagsOf(ctx, tx, SubjectContact, c.ID)
		if c.Tags, err = s.setTags(ctx, tx, a.OrgID, SubjectContact, c.ID, c.CreatedAt, *in.Tags); err != nil {
			return c, err
		}
		if !slices.Equal(old, c.Tags) {
			changed["tags"] = change{Old: old, New: c.Tags}
		}
	} else {
		c.Tags = s.tagsOf(ctx, tx, SubjectContact, c.ID)
	}
	if len(changed) == 0 {
		return c, nil
	}
	c.UpdatedAt = s.now().UTC()
	c.SearchText = contactSearchText(c, companyName)
	if _, err := tx.NewUpdate().Model(&c).ExcludeColumn("id", "org_id", "created_at").WherePK().Exec(ctx); err != nil {
		return c, emailConflict(err)
	}
	return c, s.record(ctx, tx, a, "contact.updated", c.ID, map[string]any{"changes": changed})
}

// DeleteContact removes a contact (its notes and tag links go with it).
func (s *Service) DeleteContact(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		c, err := s.contactForWrite(ctx, tx, a, id)
		if err != nil {
			return err
		}
		return s.deleteContactInTx(ctx, tx, a, c)
	})
}

func (s *Service) deleteContactInTx(ctx context.Context, tx bun.Tx, a org.Actor, c Contact) error {
	if _, err := tx.NewDelete().Model((*Note)(nil)).Where("org_id = ?", a.OrgID).Where("subject_type = ?", SubjectContact).Where("subject_id = ?", c.ID).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.NewDelete().Model((*Contact)(nil)).Where("org_id = ?", a.OrgID).Where("id = ?", c.ID).Exec(ctx); err != nil {
		return err
	}
	return s.record(ctx, tx, a, "contact.deleted", c.ID, map[string]string{"name": c.Name(), "email": c.Email})
}

func contactPayload(c Contact) map[string]any {
	return map[string]any{"first_name": c.FirstName, "last_name": c.LastName, "email": c.Email, "company_id": c.CompanyID}
}

// decodeContact fills the JSON-only fields of a loaded contact.
func decodeContact(c Contact) Contact {
	c.CustomFields = decodeCustomValues(c.CustomFieldsText)
	if c.Tags == nil {
		c.Tags = splitTags(c.TagList)
	}
	return c
}
