package crm

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// DuplicateGroup is a set of contacts that look like one person: the same
// phone (whatever its format) or Telegram username (whatever its case).
// Emails cannot repeat: they are unique per org.
type DuplicateGroup struct {
	Reason   string    `json:"reason" enum:"phone,telegram_username"`
	Value    string    `json:"value"`
	Contacts []Contact `json:"contacts"`
}

// maxDuplicateGroups bounds one answer; merging shrinks the list.
const maxDuplicateGroups = 50

// Duplicates finds groups of possibly duplicate contacts, using the
// (org_id, phone_key) and (org_id, telegram_key) indexes. Contacts sharing
// both a phone and a username form one group, not two, so one merge
// settles them.
func (s *Service) Duplicates(ctx context.Context, orgID string) ([]DuplicateGroup, error) {
	groups := []DuplicateGroup{}
	listed := map[string]bool{} // the member ids of each group, joined
	for _, by := range []struct{ reason, column string }{{"phone", "phone_key"}, {"telegram_username", "telegram_key"}} {
		var keys []string
		err := s.db.Read.NewSelect().Model((*Contact)(nil)).Column(by.column).Where("org_id = ?", orgID).
			Where(by.column+" <> ''").GroupExpr(by.column).Having("count(*) > 1").OrderExpr(by.column).
			Limit(maxDuplicateGroups).Scan(ctx, &keys)
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			continue
		}
		var list []Contact
		q := s.db.Read.NewSelect().Model(&list).Where("contact.org_id = ?", orgID).Where("contact."+by.column+" IN (?)", bun.In(keys)).
			OrderExpr("contact.id")
		s.selectTags(q, SubjectContact, "contact")
		if err := q.Scan(ctx); err != nil {
			return nil, err
		}
		byKey := map[string]*DuplicateGroup{}
		for _, c := range list {
			key := c.PhoneKey
			if by.reason == "telegram_username" {
				key = c.TelegramKey
			}
			g := byKey[key]
			if g == nil {
				g = &DuplicateGroup{Reason: by.reason, Value: key}
				byKey[key] = g
			}
			g.Contacts = append(g.Contacts, decodeContact(c))
		}
		for _, k := range keys {
			g := byKey[k]
			if g == nil || len(g.Contacts) < 2 || listed[memberIDs(g.Contacts)] {
				continue
			}
			listed[memberIDs(g.Contacts)] = true
			groups = append(groups, *g)
		}
	}
	return groups, nil
}

// memberIDs identifies a group by its contacts (loaded in id order).
func memberIDs(list []Contact) string {
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return strings.Join(ids, ",")
}

// MergeInput says which contact disappears into the survivor and which of
// its values win.
type MergeInput struct {
	OtherID string `json:"other_id" maxLength:"64" doc:"The contact merged into this one and then deleted"`
	// Take lists fields whose value comes from the other contact; every
	// other field keeps the survivor's value (or the other's when the
	// survivor's is empty).
	Take []string `json:"take,omitempty" maxItems:"120" doc:"Fields to take from the other contact: first_name, last_name, email, phone, telegram_username, title, company_id, owner_id, or custom_fields.<key>"`
}

// mergeableFields are the contact fields a merge chooses between, in the
// order people read them.
var mergeableFields = []string{"first_name", "last_name", "email", "phone", "telegram_username", "title", "company_id", "owner_id"}

// customTakePrefix names a custom field in MergeInput.Take.
const customTakePrefix = "custom_fields."

// checkTake refuses a field that a merge cannot take.
func checkTake(take []string) error {
	for _, f := range take {
		key, custom := strings.CutPrefix(f, customTakePrefix)
		if custom && validFieldKey(key) || slices.Contains(mergeableFields, f) {
			continue
		}
		return invalidField("take", "Cannot take "+f+"; choose among "+strings.Join(mergeableFields, ", ")+" or custom_fields.<key>.")
	}
	return nil
}

// MergeContacts folds other into survivor: chosen values, every note and
// tag, then deletes other. Records contact.merged on the survivor.
func (s *Service) MergeContacts(ctx context.Context, a org.Actor, survivorID string, in MergeInput) (Contact, error) {
	if err := checkTake(in.Take); err != nil {
		return Contact{}, err
	}
	if in.OtherID == survivorID {
		return Contact{}, invalidField("other_id", "A contact cannot be merged into itself.")
	}
	var out Contact
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var survivor, other Contact
		if !db.ValidID(survivorID) || tx.NewSelect().Model(&survivor).Where("org_id = ?", a.OrgID).Where("id = ?", survivorID).Scan(ctx) != nil {
			return errContactNotFound
		}
		if !db.ValidID(in.OtherID) || tx.NewSelect().Model(&other).Where("org_id = ?", a.OrgID).Where("id = ?", in.OtherID).Scan(ctx) != nil {
			return httpx.NewProblem(http.StatusUnprocessableEntity, "invalid", "No contact of this organization has other_id.")
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		mergeFields(&survivor, other, in.Take)
		defs, err := s.fieldDefs(ctx, tx, a.OrgID, SubjectContact)
		if err != nil {
			return err
		}
		survivor.CustomFieldsText = mergeCustomValues(survivor.CustomFieldsText, other.CustomFieldsText, in.Take, defs)
		// The other goes first, so its email is free for the survivor.
		if _, err := tx.NewUpdate().Model((*Note)(nil)).Set("subject_id = ?", survivor.ID).Where("org_id = ?", a.OrgID).
			Where("subject_type = ?", SubjectContact).Where("subject_id = ?", other.ID).Exec(ctx); err != nil {
			return err
		}
		tags := append(s.tagsOf(ctx, tx, SubjectContact, survivor.ID), s.tagsOf(ctx, tx, SubjectContact, other.ID)...)
		if _, err := tx.NewDelete().Model((*Contact)(nil)).Where("id = ?", other.ID).Exec(ctx); err != nil {
			return err
		}
		if survivor.Tags, err = s.setTags(ctx, tx, a.OrgID, SubjectContact, survivor.ID, survivor.CreatedAt, tags); err != nil {
			return err
		}
		companyName, err := s.checkContactLinks(ctx, tx, a.OrgID, survivor)
		if err != nil {
			return err
		}
		survivor.PhoneKey, survivor.TelegramKey = PhoneKey(survivor.Phone), strings.ToLower(survivor.TelegramUsername)
		survivor.SearchText, survivor.UpdatedAt = contactSearchText(survivor, companyName), s.now().UTC()
		if _, err := tx.NewUpdate().Model(&survivor).ExcludeColumn("id", "org_id", "created_at").WherePK().Exec(ctx); err != nil {
			return emailConflict(err)
		}
		out = survivor
		return s.record(ctx, tx, a, "contact.merged", survivor.ID, map[string]any{"merged_id": other.ID, "merged_name": other.Name(), "took": in.Take})
	})
	if err != nil {
		return Contact{}, err
	}
	return decodeContact(out), nil
}

// mergeCustomValues is the survivor's custom values (JSON) after a merge:
// values of fields named "custom_fields.<key>" in take come from other, as
// do those the survivor lacks. Values of removed fields are dropped.
func mergeCustomValues(survivor, other string, take []string, defs map[string]CustomField) string {
	kept, theirs := map[string]any{}, map[string]any{}
	json.Unmarshal([]byte(survivor), &kept)
	json.Unmarshal([]byte(other), &theirs)
	out := map[string]any{}
	for key := range defs {
		v, has := kept[key]
		if w, ok := theirs[key]; ok && (!has || slices.Contains(take, customTakePrefix+key)) {
			v, has = w, true
		}
		if has {
			out[key] = v
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// mergeFields fills the survivor from other: fields in take always, the
// rest only where the survivor has nothing.
func mergeFields(survivor *Contact, other Contact, take []string) {
	pairs := map[string][2]*string{
		"first_name": {&survivor.FirstName, &other.FirstName}, "last_name": {&survivor.LastName, &other.LastName},
		"email": {&survivor.Email, &other.Email}, "phone": {&survivor.Phone, &other.Phone},
		"telegram_username": {&survivor.TelegramUsername, &other.TelegramUsername}, "title": {&survivor.Title, &other.Title},
		"company_id": {&survivor.CompanyID, &other.CompanyID}, "owner_id": {&survivor.OwnerID, &other.OwnerID},
	}
	for field, p := range pairs {
		if slices.Contains(take, field) || *p[0] == "" {
			*p[0] = *p[1]
		}
	}
}
