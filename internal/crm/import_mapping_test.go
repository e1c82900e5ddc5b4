package crm

import (
	"maps"
	"strings"
	"testing"
)

func TestGuessMappingReadsCommonHeaders(t *testing.T) {
	defs := []CustomField{{Key: "lead_source", Label: "Lead source", Type: "text"}, {Key: "budget", Label: "Budget (EUR)", Type: "number"}}
	tests := []struct {
		header []string
		want   map[string]string
	}{
		{[]string{"First Name", "Last Name", "E-mail", "Mobile", "Company name"},
			map[string]string{"First Name": "first_name", "Last Name": "last_name", "E-mail": "email", "Mobile": "phone", "Company name": "company"}},
		{[]string{"Full name", "EMAIL ADDRESS", "Job Title", "Telegram", "Tags", "Owner email", "Notes"},
			map[string]string{"Full name": "name", "EMAIL ADDRESS": "email", "Job Title": "title", "Telegram": "telegram_username", "Tags": "tags", "Owner email": "owner"}},
		// Custom fields by key or label; the first column naming a field wins.
		{[]string{"lead_source", "Budget (EUR)", "email", "Mail"},
			map[string]string{"lead_source": "custom_fields.lead_source", "Budget (EUR)": "custom_fields.budget", "email": "email"}},
		{[]string{"Prénom", "Nachname", "Phone Number"},
			map[string]string{"Prénom": "first_name", "Nachname": "last_name", "Phone Number": "phone"}},
		{[]string{"Colour", "Size"}, map[string]string{}},
	}
	for _, tt := range tests {
		if got := GuessMapping(tt.header, defs); !maps.Equal(got, tt.want) {
			t.Errorf("GuessMapping(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestParseMappingRejectsWhatItCannotImport(t *testing.T) {
	header := []string{"Name", "Mail", "Budget", "Notes"}
	defs := []CustomField{{Key: "budget", Label: "Budget", Type: "number"}}
	got, err := parseMapping(`{"Name":"name","Mail":"email","Budget":"budget","Notes":""}`, header, defs)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Name": "name", "Mail": "email", "Budget": "custom_fields.budget"}
	if !maps.Equal(got, want) {
		t.Fatalf("mapping = %v, want %v", got, want)
	}
	for raw, wantText := range map[string]string{
		`{"Name":"nickname"}`:                  `Unknown field "nickname"`,
		`{"Nope":"email"}`:                     `no column named "Nope"`,
		`{"Name":"email","Mail":"email"}`:      "both map to email",
		`{"Notes":"title"}`:                    "every contact needs a name or an email",
		`["Name"]`:                             "JSON object",
		`{"Name":"custom_fields.unknown_key"}`: "Unknown field",
	} {
		_, err := parseMapping(raw, header, defs)
		if err == nil || !strings.Contains(problemMessage(err)+err.Error(), wantText) {
			t.Errorf("parseMapping(%s) = %v, want an error containing %q", raw, err, wantText)
		}
	}
}
