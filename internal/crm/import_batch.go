package crm

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// importTarget is a contact a batch writes: new, or an existing one that
// duplicate rows update.
type importTarget struct {
	c       Contact
	isNew   bool
	dirty   bool // an existing contact with changes to write
	company string
	tags    []string
	custom  map[string]any // nil until a row sets a custom value
}

// importBatch matches one batch of rows with the org's contacts and with
// each other, and collects what to write.
type importBatch struct {
	onDuplicate string
	now         time.Time
	byEmail     map[string]*importTarget
	byPhone     map[string]*importTarget
	byTelegram  map[string]*importTarget
	targets     []*importTarget // in first-touch order
	rejected    []rejectedRow
	created     int
	updated     int
	skipped     int
}

func newImportBatch(onDuplicate string, now time.Time) *importBatch {
	return &importBatch{onDuplicate: onDuplicate, now: now, byEmail: map[string]*importTarget{},
		byPhone: map[string]*importTarget{}, byTelegram: map[string]*importTarget{}}
}

// loadExisting fetches, one query per key, the org's contacts that share an
// email, phone key or Telegram username with a row of the batch.
func (b *importBatch) loadExisting(ctx context.Context, d *db.DB, tx bun.Tx, orgID string, rows []importRow) error {
	var emails, phones, telegrams []string
	for _, r := range rows {
		if r.contact.Email != "" {
			emails = append(emails, r.contact.Email)
		}
		if r.contact.PhoneKey != "" {
			phones = append(phones, r.contact.PhoneKey)
		}
		if r.contact.TelegramKey != "" {
			telegrams = append(telegrams, r.contact.TelegramKey)
		}
	}
	if len(emails)+len(phones)+len(telegrams) == 0 {
		return nil
	}
	// One lookup per key column: each walks its (org_id, key) index. (An
	// OR of the three IN lists made SQLite scan the whole org instead.)
	seen := map[string]bool{}
	for _, by := range []struct {
		column string
		keys   []string
	}{{"email", emails}, {"phone_key", phones}, {"telegram_key", telegrams}} {
		if len(by.keys) == 0 {
			continue
		}
		var found []Contact
		if err := scanByKeys(ctx, d, tx, tx.NewSelect().Model((*Contact)(nil)), orgID, by.column, by.keys, &found); err != nil {
			return err
		}
		for i := range found {
			if !seen[found[i].ID] {
				seen[found[i].ID] = true
				b.index(&importTarget{c: found[i]})
			}
		}
	}
	return nil
}

// index registers a target under its keys; the first target keeps a key.
func (b *importBatch) index(t *importTarget) {
	for key, m := range map[string]map[string]*importTarget{t.c.Email: b.byEmail, t.c.PhoneKey: b.byPhone, t.c.TelegramKey: b.byTelegram} {
		if _, taken := m[key]; key != "" && !taken {
			m[key] = t
		}
	}
}

// match finds the contact a row duplicates: the same email first, then
// the same phone key, then the same Telegram username. A phone or Telegram
// match whose email differs from the row's is another person sharing a
// number (a switchboard), not a duplicate.
func (b *importBatch) match(r importRow) *importTarget {
	if t := b.byEmail[r.contact.Email]; r.contact.Email != "" && t != nil {
		return t
	}
	for _, t := range []*importTarget{b.byPhone[r.contact.PhoneKey], b.byTelegram[r.contact.TelegramKey]} {
		if t != nil && (t.c.Email == "" || r.contact.Email == "" || t.c.Email == r.contact.Email) {
			return t
		}
	}
	return nil
}

// add takes one good row: a new contact, a skipped duplicate, or an update.
func (b *importBatch) add(orgID string, r importRow) {
	t := b.match(r)
	switch {
	case t == nil && r.nameless:
		b.rejected = append(b.rejected, rejectedRow{number: r.number, fields: r.fields,
			message: "Give the contact a name or an email address (a row without them only updates a contact with its phone or Telegram username)."})
	case t == nil:
		t = &importTarget{c: r.contact, isNew: true, company: r.company, tags: r.tags, custom: r.custom}
		t.c.ID, t.c.OrgID, t.c.CreatedAt, t.c.UpdatedAt = db.NewID(), orgID, b.now, b.now
		b.targets = append(b.targets, t)
		b.index(t)
		b.created++
	case b.onDuplicate != DuplicateUpdate:
		b.skipped++
	default:
		changed, err := b.merge(t, r)
		switch {
		case err != nil:
			b.rejected = append(b.rejected, rejectedRow{number: r.number, message: problemMessage(err), fields: r.fields})
		case changed:
			b.updated++
		default:
			b.skipped++
		}
	}
}

// merge applies a duplicate row's non-empty values to its target.
func (b *importBatch) merge(t *importTarget, r importRow) (bool, error) {
	before := t.c
	in := r.in
	// The same number or username written another way is no change.
	if r.contact.PhoneKey != "" && r.contact.PhoneKey == t.c.PhoneKey {
		in.Phone = nil
	}
	if r.contact.TelegramKey != "" && r.contact.TelegramKey == t.c.TelegramKey {
		in.TelegramUsername = nil
	}
	changes, err := in.apply(&t.c)
	if err != nil {
		t.c = before
		return false, err
	}
	changed := len(changes) > 0
	if r.company != "" && !strings.EqualFold(r.company, t.company) {
		t.company, changed = r.company, true
	}
	for _, tag := range r.tags {
		if !slices.ContainsFunc(t.tags, func(have string) bool { return strings.EqualFold(have, tag) }) {
			t.tags, changed = append(t.tags, tag), true
		}
	}
	if len(r.custom) > 0 {
		if t.custom == nil {
			t.custom = map[string]any{}
			json.Unmarshal([]byte(t.c.CustomFieldsText), &t.custom)
		}
		for k, v := range r.custom {
			if fmt.Sprint(t.custom[k]) != fmt.Sprint(v) {
				t.custom[k], changed = v, true
			}
		}
	}
	if !changed {
		return false, nil
	}
	if !t.isNew && !t.dirty {
		t.dirty = true
		b.targets = append(b.targets, t)
	}
	t.c.UpdatedAt = b.now
	b.index(t)
	return true, nil
}

// customJSON is a target's custom values as stored: only fields the org
// still defines, as the API keeps them.
func (t *importTarget) customJSON(defs map[string]CustomField) string {
	if t.custom == nil {
		if t.c.CustomFieldsText == "" {
			return "{}"
		}
		return t.c.CustomFieldsText
	}
	kept := maps.Clone(t.custom)
	maps.DeleteFunc(kept, func(k string, _ any) bool { _, ok := defs[k]; return !ok })
	out, _ := json.Marshal(kept)
	return string(out)
}
