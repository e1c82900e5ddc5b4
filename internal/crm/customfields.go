package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// CustomField defines an extra field of contacts or companies in one org.
type CustomField struct {
	bun.BaseModel `bun:"table:custom_fields"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	Object        string    `bun:"object" json:"object" enum:"contact,company"`
	Key           string    `bun:"key" json:"key" doc:"Name of the value in custom_fields"`
	Label         string    `bun:"label" json:"label"`
	Type          string    `bun:"type" json:"type" enum:"text,number,date,select,checkbox,url"`
	OptionsText   string    `bun:"options" json:"-"`
	Options       []string  `bun:"-" json:"options"`
	Position      int       `bun:"position" json:"position"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
}

// Custom field types.
var fieldTypes = []string{"text", "number", "date", "select", "checkbox", "url"}

var errFieldNotFound = httpx.NewProblem(http.StatusNotFound, "not_found", "No such custom field.")

// CustomFieldInput defines or changes a field.
type CustomFieldInput struct {
	Object  string    `json:"object,omitempty" enum:"contact,company"`
	Label   *string   `json:"label,omitempty" maxLength:"100"`
	Key     string    `json:"key,omitempty" maxLength:"40" doc:"Defaults to the label in snake_case; fixed once created"`
	Type    string    `json:"type,omitempty" enum:"text,number,date,select,checkbox,url"`
	Options *[]string `json:"options,omitempty" maxItems:"100" doc:"Choices of a select field"`
}

// CustomFields lists an org's fields of one object (or all), in order.
func (s *Service) CustomFields(ctx context.Context, orgID, object string) ([]CustomField, error) {
	out := []CustomField{}
	q := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).OrderExpr("object, position, id").Limit(500)
	if object != "" {
		q.Where("object = ?", object)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	for i := range out {
		json.Unmarshal([]byte(out[i].OptionsText), &out[i].Options)
		if out[i].Options == nil {
			out[i].Options = []string{}
		}
	}
	return out, nil
}

// CreateCustomField defines a field. On SQLite it also creates the
// expression index that filters on the field's values use.
func (s *Service) CreateCustomField(ctx context.Context, a org.Actor, in CustomFieldInput) (CustomField, error) {
	if in.Object != SubjectContact && in.Object != SubjectCompany {
		return CustomField{}, invalidField("object", "Choose contact or company.")
	}
	if !slices.Contains(fieldTypes, in.Type) {
		return CustomField{}, invalidField("type", "Choose text, number, date, select, checkbox or url.")
	}
	if in.Label == nil || strings.TrimSpace(*in.Label) == "" {
		return CustomField{}, invalidField("label", "Give the field a name.")
	}
	key := in.Key
	if key == "" {
		key = snakeCase(*in.Label)
	}
	if !validFieldKey(key) {
		return CustomField{}, invalidField("key", "A key has 1–40 lowercase letters, digits or underscores and starts with a letter.")
	}
	opts, err := cleanOptions(in.Type, in.Options)
	if err != nil {
		return CustomField{}, err
	}
	optsJSON, _ := json.Marshal(opts)
	f := CustomField{ID: db.NewID(), OrgID: a.OrgID, Object: in.Object, Key: key, Label: strings.TrimSpace(*in.Label),
		Type: in.Type, OptionsText: string(optsJSON), Options: opts, CreatedAt: s.now().UTC()}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*CustomField)(nil)).Where("org_id = ?", a.OrgID).Where("object = ?", in.Object).Count(ctx)
		if err != nil {
			return err
		}
		f.Position = int(n)
		if _, err := tx.NewInsert().Model(&f).Exec(ctx); err != nil {
			return err
		}
		if s.db.Kind == db.SQLite {
			if _, err := tx.ExecContext(ctx, "CREATE INDEX IF NOT EXISTS "+fieldIndexName(f)+" ON "+objectTable(f.Object)+
				" (org_id, "+fieldValueExpr(f.Key)+")"); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, "custom_field.created", f.ID, map[string]string{"object": f.Object, "key": f.Key, "type": f.Type})
	})
	if errors.Is(err, db.ErrConflict) {
		return CustomField{}, httpx.NewProblem(http.StatusConflict, "conflict", "This object already has a field with key "+key+".")
	}
	return f, err
}

// UpdateCustomField renames a field or changes a select's options; key,
// type and object stay.
func (s *Service) UpdateCustomField(ctx context.Context, a org.Actor, id string, in CustomFieldInput) (CustomField, error) {
	var f CustomField
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if f, err = forWrite[CustomField](ctx, tx, a, id, errFieldNotFound); err != nil {
			return err
		}
		if in.Type != "" && in.Type != f.Type || in.Object != "" && in.Object != f.Object || in.Key != "" && in.Key != f.Key {
			return invalidField("type", "A field's object, key and type cannot change; remove it and define a new one.")
		}
		if in.Label != nil {
			if strings.TrimSpace(*in.Label) == "" {
				return invalidField("label", "Give the field a name.")
			}
			f.Label = strings.TrimSpace(*in.Label)
		}
		if in.Options != nil {
			opts, err := cleanOptions(f.Type, in.Options)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(opts)
			f.OptionsText = string(b)
		}
		if _, err := tx.NewUpdate().Model(&f).Column("label", "options").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.record(ctx, tx, a, "custom_field.updated", f.ID, map[string]string{"label": f.Label})
	})
	json.Unmarshal([]byte(f.OptionsText), &f.Options)
	return f, err
}

// DeleteCustomField removes a field; stored values are dropped from
// records as they are next written, and ignored until then.
func (s *Service) DeleteCustomField(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		f, err := forWrite[CustomField](ctx, tx, a, id, errFieldNotFound)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*CustomField)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		if err := s.removeFieldValues(ctx, tx, f); err != nil {
			return err
		}
		if s.db.Kind == db.SQLite {
			if _, err := tx.ExecContext(ctx, "DROP INDEX IF EXISTS "+fieldIndexName(f)); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, a, "custom_field.deleted", f.ID, map[string]string{"key": f.Key})
	})
}

// decodeCustomValues reads a record's stored custom field values; most
// records have none ("{}"), which skips the JSON decoder on list pages.
func decodeCustomValues(stored string) map[string]any {
	out := map[string]any{}
	if stored != "" && stored != "{}" {
		_ = json.Unmarshal([]byte(stored), &out) // applyCustomValues only stores objects
	}
	return out
}

// applyCustomValues validates changes against the org's definitions and
// merges them into stored (JSON); null clears a value. Values of removed
// fields are dropped. It returns the new JSON and the changed keys.
func (s *Service) applyCustomValues(ctx context.Context, q bun.IDB, orgID, object, stored string, in map[string]any) (string, map[string]change, error) {
	current := map[string]any{}
	json.Unmarshal([]byte(stored), &current)
	defs, err := s.fieldDefs(ctx, q, orgID, object)
	if err != nil {
		return "", nil, err
	}
	for k := range current {
		if _, ok := defs[k]; !ok {
			delete(current, k)
		}
	}
	changed := map[string]change{}
	for key, raw := range in {
		def, ok := defs[key]
		if !ok {
			return "", nil, invalidField("custom_fields."+key, "There is no custom field "+key+" for "+object+"s in this organization.")
		}
		if raw == nil {
			if old, had := current[key]; had {
				changed["custom_fields."+key] = change{Old: old, New: nil}
				delete(current, key)
			}
			continue
		}
		v, err := checkFieldValue(def, raw)
		if err != nil {
			return "", nil, invalidField("custom_fields."+key, err.Error())
		}
		if fmt.Sprint(current[key]) != fmt.Sprint(v) {
			changed["custom_fields."+key] = change{Old: current[key], New: v}
		}
		current[key] = v
	}
	b, _ := json.Marshal(current)
	return string(b), changed, nil
}

func (s *Service) fieldDefs(ctx context.Context, q bun.IDB, orgID, object string) (map[string]CustomField, error) {
	var list []CustomField
	if err := q.NewSelect().Model(&list).Where("org_id = ?", orgID).Where("object = ?", object).Scan(ctx); err != nil {
		return nil, err
	}
	out := make(map[string]CustomField, len(list))
	for _, f := range list {
		json.Unmarshal([]byte(f.OptionsText), &f.Options)
		out[f.Key] = f
	}
	return out, nil
}

// checkFieldValue converts a JSON value to the field's stored form.
func checkFieldValue(f CustomField, raw any) (any, error) {
	switch f.Type {
	case "number":
		n, ok := raw.(float64)
		if !ok || math.IsNaN(n) || math.IsInf(n, 0) {
			return nil, inputError("Expected a number.")
		}
		return n, nil
	case "checkbox":
		b, ok := raw.(bool)
		if !ok {
			return nil, inputError("Expected true or false.")
		}
		return b, nil
	}
	str, ok := raw.(string)
	if !ok {
		return nil, inputError("Expected text.")
	}
	str = strings.TrimSpace(str)
	switch f.Type {
	case "date":
		if _, err := time.Parse(time.DateOnly, str); err != nil {
			return nil, inputError("Expected a date like 2026-03-31.")
		}
	case "select":
		if !slices.Contains(f.Options, str) {
			return nil, inputError("Choose one of: " + strings.Join(f.Options, ", ") + ".")
		}
	case "url":
		u, err := url.Parse(str)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, inputError("Expected a web address starting with https://.")
		}
	default:
		if utf8.RuneCountInString(str) > 1000 {
			return nil, inputError("At most 1,000 characters.")
		}
	}
	return str, nil
}

func cleanOptions(typ string, in *[]string) ([]string, error) {
	if typ != "select" {
		if in != nil && len(*in) > 0 {
			return nil, invalidField("options", "Only select fields have options.")
		}
		return []string{}, nil
	}
	if in == nil {
		return nil, invalidField("options", "A select field needs options.")
	}
	out := []string{}
	for _, o := range *in {
		o = strings.TrimSpace(o)
		if o != "" && !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil, invalidField("options", "A select field needs options.")
	}
	return out, nil
}

func validFieldKey(k string) bool {
	if k == "" || len(k) > 40 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func snakeCase(label string) string {
	var b strings.Builder
	for _, r := range FoldForSearch(label) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		case unicode.IsSpace(r) || r == '-' || r == '.':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

func objectTable(object string) string {
	if object == SubjectCompany {
		return "companies"
	}
	return "contacts"
}

// fieldValueExpr is the SQLite expression of a field's value, the same in
// the index and in filters so the index is used. Keys are checked to be
// [a-z0-9_], so they are safe inside the path.
func fieldValueExpr(key string) string {
	return "json_extract(custom_fields, '$." + key + "')"
}

// removeFieldValues deletes a removed field's values from the org's
// records, so a new field with the same key starts empty. On SQLite the
// field's expression index finds the records that have one; PostgreSQL
// checks the org's records one by one (a rare admin action).
func (s *Service) removeFieldValues(ctx context.Context, tx bun.Tx, f CustomField) error {
	table := objectTable(f.Object)
	q := tx.NewUpdate().Table(table).Where("org_id = ?", f.OrgID)
	if s.db.Kind == db.Postgres {
		q.Set("custom_fields = custom_fields - ?", f.Key).Where("jsonb_exists(custom_fields, ?)", f.Key)
	} else {
		q.Set("custom_fields = json_remove(custom_fields, '$." + f.Key + "')").Where(fieldValueExpr(f.Key) + " IS NOT NULL")
	}
	_, err := q.Exec(ctx)
	return err
}

func fieldIndexName(f CustomField) string {
	return "cf_" + strings.ReplaceAll(f.ID, "-", "")
}

// customFilter restricts q to records whose field has a value, from
// "key:value" filters; values are read by the field's type.
func (s *Service) customFilter(ctx context.Context, q *bun.SelectQuery, orgID, object, alias string, filters []string) error {
	if len(filters) == 0 {
		return nil
	}
	defs, err := s.fieldDefs(ctx, s.db.Read, orgID, object)
	if err != nil {
		return err
	}
	for _, f := range filters {
		key, raw, ok := strings.Cut(f, ":")
		def, known := defs[key]
		if !ok || !known {
			return invalidQuery("cf", fmt.Sprintf("Filter %q: use key:value with a custom field key of %ss.", f, object))
		}
		var v any = raw
		switch def.Type {
		case "number":
			var n float64
			if _, err := fmt.Sscan(raw, &n); err != nil {
				return invalidQuery("cf", "Filter "+key+": expected a number.")
			}
			v = n
		case "checkbox":
			if raw != "true" && raw != "false" {
				return invalidQuery("cf", "Filter "+key+": expected true or false.")
			}
			v = raw == "true"
		}
		if s.db.Kind == db.Postgres {
			b, _ := json.Marshal(map[string]any{key: v})
			q.Where(alias+".custom_fields @> ?::jsonb", string(b))
		} else {
			q.Where(fieldValueExpr(key)+" = ?", v)
		}
	}
	return nil
}
