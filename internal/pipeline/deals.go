package pipeline

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

// DealInput creates or changes a deal; absent fields stay as they are, and
// "" clears an optional link or date.
type DealInput struct {
	Title             *string `json:"title,omitempty" maxLength:"200"`
	Value             *string `json:"value,omitempty" maxLength:"40" doc:"Decimal string, e.g. \"1250.00\""`
	Currency          *string `json:"currency,omitempty" maxLength:"3" doc:"ISO 4217; default the org's currency"`
	PipelineID        *string `json:"pipeline_id,omitempty" maxLength:"64" doc:"Default: the org's default pipeline"`
	StageID           *string `json:"stage_id,omitempty" maxLength:"64" doc:"Default: the pipeline's first open stage"`
	Status            *string `json:"status,omitempty" enum:"open,won,lost" doc:"On update, moves the deal to the pipeline's first stage of that kind"`
	ContactID         *string `json:"contact_id,omitempty" maxLength:"64"`
	CompanyID         *string `json:"company_id,omitempty" maxLength:"64"`
	OwnerID           *string `json:"owner_id,omitempty" maxLength:"64"`
	ExpectedCloseDate *string `json:"expected_close_date,omitempty" maxLength:"10" doc:"YYYY-MM-DD"`
	LostReason        *string `json:"lost_reason,omitempty" maxLength:"500"`
}

// fields applies the plain fields of in to d, after checking them; links
// to contacts, companies and owners are checked against the org.
func (s *Service) fields(ctx context.Context, orgID string, d *Deal, in DealInput) error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		switch {
		case t == "":
			return invalidField("title", "Give the deal a title.")
		case utf8.RuneCountInString(t) > 200:
			return invalidField("title", "A title has at most 200 characters.")
		}
		d.Title = t
	}
	if in.Currency != nil {
		c := strings.ToUpper(strings.TrimSpace(*in.Currency))
		if !org.ValidCurrency(c) {
			return invalidField("currency", "Use an ISO 4217 currency code such as USD or EUR.")
		}
		if c != d.Currency && in.Value == nil {
			// The same amount in the new currency's minor units.
			v, err := ParseMoney(FormatMinor(d.ValueMinor, d.Currency), c)
			if err != nil {
				return invalidField("value", "The value does not fit "+c+": give the value again.")
			}
			d.ValueMinor = v
		}
		d.Currency = c
	}
	if in.Value != nil {
		v, err := ParseMoney(*in.Value, d.Currency)
		if err != nil {
			return invalidField("value", err.Error())
		}
		d.ValueMinor = v
	}
	if in.ExpectedCloseDate != nil {
		d.ExpectedCloseDate = nil
		if v := strings.TrimSpace(*in.ExpectedCloseDate); v != "" {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return invalidField("expected_close_date", "Write the date as YYYY-MM-DD.")
			}
			d.ExpectedCloseDate = &v
		}
	}
	if in.LostReason != nil {
		r := strings.TrimSpace(*in.LostReason)
		if utf8.RuneCountInString(r) > 500 {
			return invalidField("lost_reason", "A reason has at most 500 characters.")
		}
		d.LostReason = r
	}
	var err error
	if in.ContactID != nil {
		if d.ContactID, err = s.link(ctx, orgID, "contact_id", *in.ContactID, func(id string) error {
			_, err := s.crm.Contact(ctx, orgID, id)
			return err
		}); err != nil {
			return err
		}
	}
	if in.CompanyID != nil {
		if d.CompanyID, err = s.link(ctx, orgID, "company_id", *in.CompanyID, func(id string) error {
			_, err := s.crm.Company(ctx, orgID, id)
			return err
		}); err != nil {
			return err
		}
	}
	if in.OwnerID != nil {
		if d.OwnerID, err = s.link(ctx, orgID, "owner_id", *in.OwnerID, func(id string) error {
			_, err := s.orgs.RoleOf(ctx, orgID, id)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// link checks an optional reference: "" clears it, anything else must be
// found in the org.
func (s *Service) link(ctx context.Context, orgID, field, id string, find func(string) error) (*string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, nil
	}
	what := map[string]string{"contact_id": "contact", "company_id": "company", "owner_id": "member"}[field]
	if !db.ValidID(id) || find(id) != nil {
		return nil, invalidField(field, "No "+what+" of this organization has this id.")
	}
	return &id, nil
}

// Deal reads one deal of the org.
func (s *Service) Deal(ctx context.Context, orgID, id string) (Deal, error) {
	var d Deal
	err := db.LoadInOrg(ctx, s.db.Read, &d, orgID, id, errDealNotFound)
	d.fill()
	return d, err
}

// dealExists tells the CRM's notes whether a deal of the org has this id.
func (s *Service) dealExists(ctx context.Context, q bun.IDB, orgID, id string) error {
	if !db.ValidID(id) {
		return errDealNotFound
	}
	ok, err := q.NewSelect().Model((*Deal)(nil)).Where("org_id = ?", orgID).Where("id = ?", id).Exists(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return errDealNotFound
	}
	return nil
}

// relatedDeals gives the CRM the deals of a contact or company, whose
// events belong in its timeline too.
func (s *Service) relatedDeals(ctx context.Context, orgID, subject, id string) ([]string, error) {
	col := "contact_id"
	if subject == "company" {
		col = "company_id"
	}
	var ids []string
	err := s.db.Read.NewSelect().Model((*Deal)(nil)).Column("id").Where("org_id = ?", orgID).Where("? = ?", bun.Ident(col), id).
		OrderExpr("created_at DESC").Limit(200).Scan(ctx, &ids)
	return ids, err
}

// CreateDeal adds a deal at the bottom of its stage.
func (s *Service) CreateDeal(ctx context.Context, a org.Actor, in DealInput) (Deal, error) {
	o, err := s.orgs.Get(ctx, a.OrgID)
	if err != nil {
		return Deal{}, err
	}
	now := s.now().UTC()
	d := Deal{ID: db.NewID(), OrgID: a.OrgID, Currency: o.DefaultCurrency, CreatedAt: now, UpdatedAt: now, StageEnteredAt: now}
	if in.Title == nil {
		return d, invalidField("title", "Give the deal a title.")
	}
	if in.Currency != nil {
		// Read the value in the currency it is given in.
		cur := *in.Currency
		in.Currency = nil
		if err := s.fields(ctx, a.OrgID, &d, DealInput{Currency: &cur}); err != nil {
			return d, err
		}
	}
	if in.Status != nil && in.StageID == nil && *in.Status != KindOpen {
		return d, invalidField("status", "A new deal starts in a stage: give stage_id, or create it open and mark it won or lost.")
	}
	if err := s.fields(ctx, a.OrgID, &d, in); err != nil {
		return d, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		st, err := s.startStage(ctx, tx, a.OrgID, in.PipelineID, in.StageID)
		if err != nil {
			return err
		}
		if in.Status != nil && *in.Status != st.Kind {
			return invalidField("status", "The status follows the stage: "+st.Name+" is "+st.Kind+".")
		}
		d.PipelineID, d.StageID, d.Status = st.PipelineID, st.ID, st.Kind
		if st.Kind != KindOpen {
			d.ClosedAt = &now
		}
		if d.Position, err = s.place(ctx, tx, st.ID, d.ID, placeAt{}); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&d).Exec(ctx); err != nil {
			return rankRace(err)
		}
		if err := s.addHistory(ctx, tx, a.OrgID, a.EventActor(), d.ID, nil, st, now); err != nil {
			return err
		}
		d.fill()
		if err := s.record(ctx, tx, a.OrgID, a.EventActor(), "deal.created", d.ID, dealEvent(d, nil)); err != nil {
			return err
		}
		return s.addTotals(ctx, tx, totalDelta{st.ID, d.Currency, 1, d.ValueMinor})
	})
	return d, err
}

// startStage is where a new deal goes: the stage named (of the pipeline
// named, if any), else the first open stage of the pipeline or default.
func (s *Service) startStage(ctx context.Context, tx bun.Tx, orgID string, pipelineID, stageID *string) (Stage, error) {
	if stageID != nil {
		st, err := s.stageToFill(ctx, tx, orgID, *stageID)
		if err != nil {
			return st, invalidField("stage_id", "No stage of this organization has this id.")
		}
		if pipelineID != nil && *pipelineID != st.PipelineID {
			return st, invalidField("stage_id", "This stage belongs to another pipeline.")
		}
		return st, nil
	}
	q := tx.NewSelect().Model((*Pipeline)(nil)).Column("id").Where("org_id = ?", orgID)
	if pipelineID != nil {
		if !db.ValidID(*pipelineID) {
			return Stage{}, invalidField("pipeline_id", "No pipeline of this organization has this id.")
		}
		q.Where("id = ?", *pipelineID)
	} else {
		q.Where("is_default = ?", true)
	}
	var pid string
	if err := q.Scan(ctx, &pid); err != nil {
		return Stage{}, invalidField("pipeline_id", "No pipeline of this organization has this id.")
	}
	var first string
	if err := tx.NewSelect().Model((*Stage)(nil)).Column("id").Where("pipeline_id = ?", pid).Where("kind = ?", KindOpen).
		OrderExpr("position, id").Limit(1).Scan(ctx, &first); err != nil {
		return Stage{}, err
	}
	return s.stageToFill(ctx, tx, orgID, first)
}

// dealEvent is the payload of deal events: enough for a board to place it.
func dealEvent(d Deal, changes map[string]change) map[string]any {
	ev := map[string]any{"pipeline_id": d.PipelineID, "stage_id": d.StageID, "title": d.Title, "value": d.Value,
		"currency": d.Currency, "status": d.Status, "contact_id": d.ContactID, "company_id": d.CompanyID}
	if changes != nil {
		ev["changes"] = changes
	}
	return ev
}

// UpdateDeal changes a deal's fields. A new stage_id or status moves it
// (to the bottom of the new stage), as PATCH /deals/{id}/stage does.
func (s *Service) UpdateDeal(ctx context.Context, a org.Actor, id string, in DealInput) (Deal, error) {
	var d Deal
	if in.PipelineID != nil && in.StageID == nil {
		return d, invalidField("pipeline_id", "Move a deal to another pipeline by giving the stage_id of one of its stages.")
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if err = db.LoadInOrg(ctx, tx, &d, a.OrgID, id, errDealNotFound); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		target := ""
		switch {
		case in.StageID != nil && *in.StageID != d.StageID:
			target = *in.StageID
		case in.Status != nil && *in.Status != d.Status:
			if target, err = s.firstOfKind(ctx, tx, d.PipelineID, *in.Status); err != nil {
				return err
			}
		}
		if target != "" {
			if d, err = s.moveIn(ctx, tx, a, d.ID, MoveInput{StageID: target}); err != nil {
				return err
			}
		}
		old := d
		if err := s.fields(ctx, a.OrgID, &d, in); err != nil {
			return err
		}
		changes := diff(old, d)
		if len(changes) == 0 {
			d.fill()
			return nil
		}
		d.UpdatedAt = s.now().UTC()
		if _, err := tx.NewUpdate().Model(&d).Column("title", "value_minor", "currency", "contact_id", "company_id", "owner_id",
			"expected_close_date", "lost_reason", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if old.Currency != d.Currency || old.ValueMinor != d.ValueMinor {
			if err := s.addTotals(ctx, tx, totalDelta{d.StageID, old.Currency, -1, -old.ValueMinor}, totalDelta{d.StageID, d.Currency, 1, d.ValueMinor}); err != nil {
				return err
			}
		}
		d.fill()
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "deal.updated", d.ID, dealEvent(d, changes))
	})
	return d, err
}

// firstOfKind is the pipeline's first stage of a kind.
func (s *Service) firstOfKind(ctx context.Context, tx bun.Tx, pipelineID, kind string) (string, error) {
	var id string
	err := tx.NewSelect().Model((*Stage)(nil)).Column("id").Where("pipeline_id = ?", pipelineID).Where("kind = ?", kind).
		OrderExpr("position, id").Limit(1).Scan(ctx, &id)
	if err != nil {
		return "", invalidField("status", "This pipeline has no "+kind+" stage.")
	}
	return id, nil
}

func diff(old, d Deal) map[string]change {
	out := map[string]change{}
	add := func(k string, o, n any) {
		if o != n {
			out[k] = change{o, n}
		}
	}
	add("title", old.Title, d.Title)
	add("value", FormatMinor(old.ValueMinor, old.Currency), FormatMinor(d.ValueMinor, d.Currency))
	add("currency", old.Currency, d.Currency)
	add("contact_id", deref(old.ContactID), deref(d.ContactID))
	add("company_id", deref(old.CompanyID), deref(d.CompanyID))
	add("owner_id", deref(old.OwnerID), deref(d.OwnerID))
	add("expected_close_date", deref(old.ExpectedCloseDate), deref(d.ExpectedCloseDate))
	add("lost_reason", old.LostReason, d.LostReason)
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// DeleteDeal removes a deal with its history and notes.
func (s *Service) DeleteDeal(ctx context.Context, a org.Actor, id string) error {
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var d Deal
		if err := db.LoadInOrg(ctx, tx, &d, a.OrgID, id, errDealNotFound); err != nil {
			return err
		}
		if err := a.Allowed(); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model(&d).WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := s.crm.DeleteNotesOf(ctx, tx, a.OrgID, SubjectDeal, d.ID); err != nil {
			return err
		}
		if err := s.addTotals(ctx, tx, totalDelta{d.StageID, d.Currency, -1, -d.ValueMinor}); err != nil {
			return err
		}
		d.fill()
		return s.record(ctx, tx, a.OrgID, a.EventActor(), "deal.deleted", d.ID, dealEvent(d, nil))
	})
}

// History lists a deal's stage moves, oldest first, with the time spent
// in each stage.
func (s *Service) History(ctx context.Context, orgID, id string) ([]StageMove, error) {
	if err := s.dealExists(ctx, s.db.Read, orgID, id); err != nil {
		return nil, err
	}
	out := []StageMove{}
	if err := s.db.Read.NewSelect().Model(&out).Where("org_id = ?", orgID).Where("deal_id = ?", id).OrderExpr("at, id").Limit(1000).Scan(ctx); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	for i := range out {
		end := now
		if i+1 < len(out) {
			end = out[i+1].At
		}
		out[i].Seconds = int64(end.Sub(out[i].At).Seconds())
	}
	return out, nil
}

func (s *Service) addHistory(ctx context.Context, tx bun.Tx, orgID, actor, dealID string, from *Stage, to Stage, at time.Time) error {
	h := StageMove{ID: db.NewID(), OrgID: orgID, DealID: dealID, ToStageID: to.ID, ToStageName: to.Name, Actor: actor, At: at}
	if from != nil {
		h.FromStageID, h.FromStageName = &from.ID, from.Name
	}
	_, err := tx.NewInsert().Model(&h).Exec(ctx)
	return err
}
