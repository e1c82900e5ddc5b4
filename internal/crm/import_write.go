package crm

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm/csvx"
	"github.com/kite-crm/kite/internal/platform/db"
)

// importCaches are the companies and tags a batch found or created; they
// join the run's caches only once the batch commits, so a rolled-back
// batch leaves no id of a row that does not exist.
type importCaches struct {
	companies map[string]string // lowercased name -> id
	names     map[string]string // id -> name
	tags      map[string]string // name key -> id
}

// importBatch imports one prepared batch of rows in one transaction,
// together with the checkpoint (the position of the next row and the
// counters), so a crash either keeps both or neither.
func (run *importRun) importBatch(ctx context.Context, pb preparedBatch) error {
	good, rejected := pb.good, pb.rejected
	var fresh importCaches
	var after Import
	err := run.s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		fresh = importCaches{companies: map[string]string{}, names: map[string]string{}, tags: map[string]string{}}
		b := newImportBatch(run.im.OnDuplicate, run.s.now().UTC())
		b.rejected = append(b.rejected, rejected...)
		if err := b.loadExisting(ctx, run.s.db, tx, run.im.OrgID, good); err != nil {
			return err
		}
		for _, p := range good {
			b.add(run.im.OrgID, p)
		}
		if err := run.linkCompanies(ctx, tx, b.targets, &fresh); err != nil {
			return err
		}
		if err := run.writeContacts(ctx, tx, b.targets, &fresh); err != nil {
			return err
		}
		if err := run.linkTags(ctx, tx, b.targets, &fresh); err != nil {
			return err
		}
		if err := writeRejected(ctx, tx, run.im.ID, b.rejected); err != nil {
			return err
		}
		var err error
		after, err = run.checkpoint(ctx, tx, b, pb.read, pb.next)
		return err
	})
	if err != nil {
		return err
	}
	run.im = after
	for k, v := range fresh.companies {
		run.companies[k] = v
	}
	for k, v := range fresh.names {
		run.companyNames[k] = v
	}
	for k, v := range fresh.tags {
		run.tags[k] = v
	}
	run.trimCaches()
	return nil
}

// maxCachedNames bounds the run's company and tag caches; past it they
// start over, and misses cost one query per batch.
const maxCachedNames = 50_000

func (run *importRun) trimCaches() {
	if len(run.companies)+len(run.companyNames) > maxCachedNames {
		run.companies, run.companyNames = map[string]string{}, map[string]string{}
	}
	if len(run.tags) > maxCachedNames {
		run.tags = map[string]string{}
	}
}

// linkCompanies sets the company of targets that name one: found by name
// (case-insensitively, one query for the batch's unknown names) or
// created. It also loads the names of companies that updated contacts
// keep, for their search text.
func (run *importRun) linkCompanies(ctx context.Context, tx bun.Tx, targets []*importTarget, fresh *importCaches) error {
	lookup := func(key string) (string, bool) {
		if id, ok := run.companies[key]; ok {
			return id, true
		}
		id, ok := fresh.companies[key]
		return id, ok
	}
	var missing []string
	firstSpelling := map[string]string{}
	for _, t := range targets {
		key := strings.ToLower(t.company)
		if _, known := lookup(key); t.company == "" || known || firstSpelling[key] != "" {
			continue
		}
		firstSpelling[key] = t.company
		missing = append(missing, key)
	}
	if len(missing) > 0 {
		var found []Company
		q := tx.NewSelect().Model((*Company)(nil)).Column("id", "name").OrderExpr("id")
		if err := scanByKeys(ctx, run.s.db, tx, q, run.im.OrgID, "lower(name)", missing, &found); err != nil {
			return err
		}
		for _, c := range found {
			if _, ok := fresh.companies[strings.ToLower(c.Name)]; !ok {
				fresh.companies[strings.ToLower(c.Name)], fresh.names[c.ID] = c.ID, c.Name
			}
		}
		if err := run.createCompanies(ctx, tx, missing, firstSpelling, fresh); err != nil {
			return err
		}
	}
	var unnamed []string
	for _, t := range targets {
		if t.company != "" {
			t.c.CompanyID, _ = lookup(strings.ToLower(t.company))
		}
		if id := t.c.CompanyID; id != "" && run.companyName(id, fresh) == "" && !slices.Contains(unnamed, id) {
			unnamed = append(unnamed, id)
		}
	}
	if len(unnamed) == 0 {
		return nil
	}
	var named []Company
	if err := scanByKeys(ctx, run.s.db, tx, tx.NewSelect().Model((*Company)(nil)).Column("id", "name"), run.im.OrgID, "id", unnamed, &named); err != nil {
		return err
	}
	for _, c := range named {
		fresh.names[c.ID] = c.Name
	}
	return nil
}

// createCompanies adds the companies the batch names that the org lacks.
func (run *importRun) createCompanies(ctx context.Context, tx bun.Tx, keys []string, spelling map[string]string, fresh *importCaches) error {
	now := run.s.now().UTC()
	var rows []Company
	for _, key := range keys {
		if _, ok := fresh.companies[key]; ok {
			continue
		}
		c := Company{ID: db.NewID(), OrgID: run.im.OrgID, Name: spelling[key], CustomFieldsText: "{}", CreatedAt: now, UpdatedAt: now}
		c.SearchText = companySearchText(c)
		rows = append(rows, c)
		fresh.companies[key], fresh.names[c.ID] = c.ID, c.Name
	}
	return insertCompanies(ctx, tx, rows)
}

func (run *importRun) companyName(id string, fresh *importCaches) string {
	if name, ok := run.companyNames[id]; ok {
		return name
	}
	return fresh.names[id]
}

// writeContacts inserts the new contacts in multi-row statements and
// updates the changed ones, each with its search text and custom values
// stored as the API stores them.
func (run *importRun) writeContacts(ctx context.Context, tx bun.Tx, targets []*importTarget, fresh *importCaches) error {
	news := make([]Contact, 0, len(targets))
	for _, t := range targets {
		t.c.CustomFieldsText = t.customJSON(run.defs)
		t.c.SearchText = contactSearchText(t.c, run.companyName(t.c.CompanyID, fresh))
		if t.isNew {
			news = append(news, t.c)
		}
	}
	if err := insertContacts(ctx, tx, news); err != nil {
		return err
	}
	for _, t := range targets {
		if !t.isNew {
			if _, err := tx.NewUpdate().Model(&t.c).ExcludeColumn("id", "org_id", "created_at").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// linkTags gives targets the tags their rows name, creating missing tags;
// an updated contact keeps the tags it had.
func (run *importRun) linkTags(ctx context.Context, tx bun.Tx, targets []*importTarget, fresh *importCaches) error {
	tagID := func(name string) (string, bool) {
		key := strings.ToLower(name)
		if id, ok := run.tags[key]; ok {
			return id, true
		}
		id, ok := fresh.tags[key]
		return id, ok
	}
	var missing []string
	for _, t := range targets {
		for _, name := range t.tags {
			if _, ok := tagID(name); !ok && !slices.ContainsFunc(missing, func(m string) bool { return strings.EqualFold(m, name) }) {
				missing = append(missing, name)
			}
		}
	}
	if len(missing) > 0 {
		tags, err := run.s.ensureTags(ctx, tx, run.im.OrgID, missing)
		if err != nil {
			return err
		}
		for _, t := range tags {
			fresh.tags[t.NameKey] = t.ID
		}
	}
	var links []contactTag
	for _, t := range targets {
		for _, name := range t.tags {
			if id, ok := tagID(name); ok {
				links = append(links, contactTag{TagID: id, ContactID: t.c.ID, CreatedAt: t.c.CreatedAt})
			}
		}
	}
	return linkContactTags(ctx, tx, links)
}

// writeRejected keeps the rejected rows of a batch with their fields.
func writeRejected(ctx context.Context, tx bun.Tx, importID string, rejected []rejectedRow) error {
	rows := make([]ImportRowError, len(rejected))
	for i, r := range rejected {
		fields, _ := json.Marshal(r.fields)
		if r.fields == nil {
			fields = []byte("[]")
		}
		rows[i] = ImportRowError{ImportID: importID, Row: r.number, Message: r.message, FieldsText: string(fields)}
	}
	return insertMany(ctx, tx, rows, 4, "CONFLICT DO NOTHING")
}

// checkpoint saves the counters and the position of the next row. It
// fails with errImportMovedOn when the stored checkpoint is not the one
// this attempt started from.
func (run *importRun) checkpoint(ctx context.Context, tx bun.Tx, b *importBatch, read int, next csvx.Position) (Import, error) {
	im := run.im
	im.Total += read
	im.Created += b.created
	im.Updated += b.updated
	im.Skipped += b.skipped
	im.Failed += len(b.rejected)
	im.ResumeOffset, im.ResumeLine, im.ResumeNumber = next.Offset, next.Line, next.Number
	im.UpdatedAt = b.now
	res, err := tx.NewUpdate().Model(&im).WherePK().
		Column("rows_total", "rows_created", "rows_updated", "rows_skipped", "rows_failed", "resume_offset", "resume_line", "resume_number", "updated_at").
		Where("resume_number = ?", run.im.ResumeNumber).Where("status = ?", ImportRunning).Exec(ctx)
	if err != nil {
		return im, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return im, errImportMovedOn
	}
	return im, nil
}
