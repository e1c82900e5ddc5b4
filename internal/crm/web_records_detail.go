package crm

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// The detail page of a contact or company: its fields, editable in place
// (one small form per field, one for the tags, one for the custom fields),
// notes and the activity timeline. Viewers see the same page read-only.

// recordDraft is what a kind's detail code supplies: the record as the
// page shows it (with a refused form's values on top).
type recordDraft struct {
	ID, Name, Subtitle string
	Fields             []formField
	Tags               []string
	Custom             map[string]any
	Labels             map[string]string // field name -> label, for the timeline
	Related            []relatedRecord   // a company's contacts
	RelatedAll         string            // the full list of them
	RelatedMore        bool              // more than Related holds
	RelatedNew         string            // adds one
}

// relatedRecord is a line of a related list (a company's contacts).
type relatedRecord struct {
	Name, Href, Sub string
}

// recordView is everything a detail page shows.
type recordView struct {
	Kind          recordKind
	ID, Name      string
	Subtitle      string
	CanWrite      bool
	Fields        []formField
	Tags          []string
	TagsField     formField
	Custom        []formField
	Related       []relatedRecord
	RelatedAll    string
	RelatedMore   bool
	RelatedNew    string
	HasRelated    bool // the kind has a related list (companies)
	Notes         []noteView
	NoteDraft     formField
	OlderNotes    string
	Activity      []activityItem
	OlderEvents   string
	Panels        []templ.Component // cards of capabilities above the CRM (deals)
	Errors        web.FormErrors
	CanAdminister bool // may define custom fields
	Loc           *time.Location
	Now           time.Time
}

// Path is the record's page.
func (v recordView) Path() string { return v.Kind.Path + "/" + v.ID }

// notesPageSize and eventsPageSize bound what a detail page shows at once.
const (
	notesPageSize  = 20
	eventsPageSize = 30
)

// detailView loads what every detail page shows beside the record: custom
// field definitions, members, notes and activity (older pages by the
// notes= and activity= cursors of the URL).
func (s *Service) detailView(r *http.Request, c *org.WebCtx, kind recordKind, d recordDraft, errs web.FormErrors, members people, defs []CustomField) (recordView, error) {
	ctx := r.Context()
	v := recordView{Kind: kind, ID: d.ID, Name: d.Name, Subtitle: d.Subtitle, CanWrite: c.Can(org.CRMWrite),
		CanAdminister: c.Can(org.OrgWrite), Tags: d.Tags, Errors: errs, Loc: c.Loc, Now: c.Now}
	v.Related, v.RelatedAll, v.RelatedMore, v.RelatedNew = d.Related, d.RelatedAll, d.RelatedMore, d.RelatedNew
	v.HasRelated = kind.Subject == SubjectCompany
	v.Fields = withErrors(inPlace(d.Fields), errs)
	v.TagsField = withErrors([]formField{tagsField(d.Tags)}, errs)[0]
	v.Custom = withErrors(customFields(defs, d.Custom), errs)
	v.NoteDraft = noteField(r.PostFormValue("body"), errs.Field("body"))

	q := r.URL.Query()
	notes, nextNotes, err := s.Notes(ctx, c.Org.ID, kind.Subject, d.ID, q.Get("notes"), notesPageSize)
	if _, ok := web.ProblemErrors(err, nil); ok {
		notes, nextNotes, err = s.Notes(ctx, c.Org.ID, kind.Subject, d.ID, "", notesPageSize)
	}
	if err != nil {
		return recordView{}, err
	}
	v.Notes = noteViews(notes, members)
	if nextNotes != "" {
		v.OlderNotes = v.Path() + "?" + url.Values{"notes": {nextNotes}}.Encode() + "#notes"
	}
	events, nextEvents, err := s.Activity(ctx, c.Org.ID, kind.Subject, d.ID, q.Get("activity"), eventsPageSize)
	if _, ok := web.ProblemErrors(err, nil); ok {
		events, nextEvents, err = s.Activity(ctx, c.Org.ID, kind.Subject, d.ID, "", eventsPageSize)
	}
	if err != nil {
		return recordView{}, err
	}
	labels := map[string]string{}
	maps.Copy(labels, d.Labels)
	for _, def := range defs {
		labels[customPrefix+def.Key] = def.Label
	}
	if v.Activity, err = s.timeline(r, c.Org.ID, kind, events, labels, members); err != nil {
		return recordView{}, err
	}
	if nextEvents != "" {
		v.OlderEvents = v.Path() + "?" + url.Values{"activity": {nextEvents}}.Encode() + "#activity"
	}
	if v.Panels, err = s.recordPanels(r, c, kind.Subject, d.ID); err != nil {
		return recordView{}, err
	}
	return v, nil
}

// fieldLabels maps field names to labels for the timeline.
func fieldLabels(fields []formField) map[string]string {
	out := map[string]string{"tags": "Tags"}
	for _, f := range fields {
		out[f.Name] = f.Label
	}
	return out
}

// inPlace fits fields for editing in place: an empty one invites a value,
// and help texts, meant for the full form, are left out.
func inPlace(fields []formField) []formField {
	for i := range fields {
		fields[i].Help = ""
		fields[i].Hint = "Add " + strings.ToLower(fields[i].Label)
	}
	return fields
}
