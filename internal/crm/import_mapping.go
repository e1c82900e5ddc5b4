package crm

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
)

// Fields a CSV column can be imported into, besides custom fields
// ("custom_fields.<key>", or just the key).
const (
	importFirstName   = "first_name"
	importLastName    = "last_name"
	importName        = "name" // split into first and last name
	importEmail       = "email"
	importPhone       = "phone"
	importTelegram    = "telegram_username"
	importTitle       = "title"
	importCompany     = "company" // a company name: found case-insensitively or created
	importTags        = "tags"    // split on "," or ";"
	importOwner       = "owner"   // the email of a member
	customFieldPrefix = "custom_fields."
)

// importFields are the standard fields in the order pickers list them.
var importFields = []string{importFirstName, importLastName, importName, importEmail, importPhone, importTelegram,
	importTitle, importCompany, importTags, importOwner}

// importFieldLabels name the standard fields for people.
var importFieldLabels = map[string]string{
	importFirstName: "First name", importLastName: "Last name", importName: "Full name (split into first and last)",
	importEmail: "Email", importPhone: "Phone", importTelegram: "Telegram username", importTitle: "Job title",
	importCompany: "Company name", importTags: "Tags", importOwner: "Owner (a member's email)",
}

// headerSynonyms are the column names, reduced by headerKey, that guessing
// maps to each standard field.
var headerSynonyms = map[string][]string{
	importFirstName: {"firstname", "first", "givenname", "forename", "vorname", "prenom", "nombre"},
	importLastName:  {"lastname", "last", "surname", "familyname", "nachname", "nom", "apellido"},
	importName:      {"name", "fullname", "contactname", "contact", "person"},
	importEmail:     {"email", "emailaddress", "mail", "emails", "workemail", "primaryemail"},
	importPhone: {"phone", "phonenumber", "mobile", "mobilephone", "mobilenumber", "cell", "cellphone", "telephone",
		"tel", "workphone", "handy", "whatsapp"},
	importTelegram: {"telegram", "telegramusername", "telegramhandle", "tg", "tgusername"},
	importTitle:    {"title", "jobtitle", "position", "role", "jobrole"},
	importCompany:  {"company", "companyname", "organization", "organisation", "organizationname", "account", "accountname", "employer", "firma"},
	importTags:     {"tags", "tag", "labels", "label"},
	importOwner:    {"owner", "owneremail", "contactowner", "assignedto", "accountowner"},
}

// ImportField is a field a column can be mapped to, for pickers.
type ImportField struct {
	Value string // as written in a mapping
	Label string
}

// importFieldChoices lists the standard fields and the custom fields of
// contacts, in picker order.
func importFieldChoices(defs []CustomField) []ImportField {
	out := make([]ImportField, 0, len(importFields)+len(defs))
	for _, f := range importFields {
		out = append(out, ImportField{Value: f, Label: importFieldLabels[f]})
	}
	for _, d := range defs {
		out = append(out, ImportField{Value: customFieldPrefix + d.Key, Label: d.Label + " (custom field)"})
	}
	return out
}

// headerKey reduces a column name to what guessing compares: folded
// (lowercase, no accents) letters and digits only, so "E-mail",
// "e_mail" and "EMAIL " are one key.
func headerKey(name string) string {
	var b strings.Builder
	for _, r := range FoldForSearch(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 0x7f {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// GuessMapping maps the columns of a header to fields by their names:
// synonyms of the standard fields, and custom fields by key or label. Each
// field takes the first column that names it; other columns stay unmapped.
func GuessMapping(header []string, defs []CustomField) map[string]string {
	known := map[string]string{}
	for field, names := range headerSynonyms {
		for _, n := range names {
			known[n] = field
		}
	}
	for _, d := range defs {
		known[headerKey(d.Key)] = customFieldPrefix + d.Key
		if k := headerKey(d.Label); k != "" {
			if _, taken := known[k]; !taken {
				known[k] = customFieldPrefix + d.Key
			}
		}
	}
	out := map[string]string{}
	used := map[string]bool{}
	for _, column := range header {
		field, ok := known[headerKey(column)]
		if !ok || used[field] {
			continue
		}
		used[field] = true
		out[column] = field
	}
	return out
}

// parseMapping reads a mapping given as JSON (column -> field) against the
// file's header and the custom fields: every column must be in the header,
// every field known and used once; an empty field leaves the column out.
// Fields come back in canonical form (custom fields as "custom_fields.key").
func parseMapping(raw string, header []string, defs []CustomField) (map[string]string, error) {
	var in map[string]*string
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		return nil, invalidField("mapping", "The mapping must be a JSON object of column name to field name.")
	}
	return checkMapping(in, header, defs)
}

// checkMapping validates a mapping (column -> field, nil or "" for none).
func checkMapping(in map[string]*string, header []string, defs []CustomField) (map[string]string, error) {
	out := map[string]string{}
	byField := map[string]string{}
	for _, column := range slices.Sorted(maps.Keys(in)) {
		if !slices.Contains(header, column) {
			return nil, invalidField("mapping", "The file has no column named "+quote(column)+".")
		}
		if in[column] == nil || strings.TrimSpace(*in[column]) == "" {
			continue
		}
		field, ok := canonicalField(strings.TrimSpace(*in[column]), defs)
		if !ok {
			return nil, invalidField("mapping."+column, "Unknown field "+quote(*in[column])+": use one of "+
				strings.Join(importFields, ", ")+" or a custom field's key.")
		}
		if other, dup := byField[field]; dup {
			return nil, invalidField("mapping."+column, "Columns "+quote(other)+" and "+quote(column)+" both map to "+field+".")
		}
		byField[field] = column
		out[column] = field
	}
	if !mapsAny(byField, importName, importFirstName, importLastName, importEmail) {
		return nil, invalidField("mapping", "Map a column to name, first_name, last_name or email: every contact needs a name or an email.")
	}
	return out, nil
}

// canonicalField returns a field name as mappings store it.
func canonicalField(field string, defs []CustomField) (string, bool) {
	if slices.Contains(importFields, field) {
		return field, true
	}
	key := strings.TrimPrefix(field, customFieldPrefix)
	for _, d := range defs {
		if d.Key == key {
			return customFieldPrefix + key, true
		}
	}
	return "", false
}

func mapsAny(byField map[string]string, fields ...string) bool {
	for _, f := range fields {
		if _, ok := byField[f]; ok {
			return true
		}
	}
	return false
}

func quote(s string) string { return `"` + s + `"` }
