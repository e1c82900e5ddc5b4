package crm

import (
	"context"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
)

// maxBulk bounds one bulk action; the list UI selects at most a few pages.
const maxBulk = 500

// BulkInput applies one action to many contacts or companies.
type BulkInput struct {
	IDs     []string `json:"ids" minItems:"1" maxItems:"500"`
	Action  string   `json:"action" enum:"tag,untag,set_owner,delete"`
	Tags    []string `json:"tags,omitempty" maxItems:"20" doc:"For tag and untag"`
	OwnerID string   `json:"owner_id,omitempty" maxLength:"64" doc:"For set_owner; empty clears"`
}

// BulkResult says how many records the action changed.
type BulkResult struct {
	Affected int `json:"affected"`
}

// bulkKind is what a bulk action needs of one kind of record: how to read
// its id and tags, change its tags or owner, and delete it, each inside the
// action's transaction and recording the record's own events.
type bulkKind[T any] struct {
	subject string
	id      func(T) string
	update  func(ctx context.Context, tx bun.Tx, a org.Actor, rec T, tags *[]string, owner *string) error
	remove  func(ctx context.Context, tx bun.Tx, a org.Actor, rec T) error
}

// BulkContacts tags, untags, reassigns or deletes contacts of the org in
// one transaction; IDs of other orgs or unknown IDs are skipped. Each
// changed contact gets its event, as if changed one by one.
func (s *Service) BulkContacts(ctx context.Context, a org.Actor, in BulkInput) (BulkResult, error) {
	return bulk(ctx, s, a, in, bulkKind[Contact]{
		subject: SubjectContact,
		id:      func(c Contact) string { return c.ID },
		update: func(ctx context.Context, tx bun.Tx, a org.Actor, c Contact, tags *[]string, owner *string) error {
			_, err := s.updateContactInTx(ctx, tx, a, c, ContactInput{Tags: tags, OwnerID: owner})
			return err
		},
		remove: s.deleteContactInTx,
	})
}

// BulkCompanies is BulkContacts for companies; deleting a company keeps
// its contacts, unlinked.
func (s *Service) BulkCompanies(ctx context.Context, a org.Actor, in BulkInput) (BulkResult, error) {
	return bulk(ctx, s, a, in, bulkKind[Company]{
		subject: SubjectCompany,
		id:      func(c Company) string { return c.ID },
		update: func(ctx context.Context, tx bun.Tx, a org.Actor, c Company, tags *[]string, owner *string) error {
			_, err := s.updateCompanyInTx(ctx, tx, a, c, CompanyInput{Tags: tags, OwnerID: owner})
			return err
		},
		remove: s.deleteCompanyInTx,
	})
}

func bulk[T any](ctx context.Context, s *Service, a org.Actor, in BulkInput, k bulkKind[T]) (BulkResult, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(in.IDs)))
	if len(ids) > maxBulk {
		return BulkResult{}, invalidField("ids", "At most 500 records at once.")
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !db.ValidID(id) })
	var res BulkResult
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var found []T
		if len(ids) > 0 {
			if err := tx.NewSelect().Model(&found).Where("org_id = ?", a.OrgID).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
				return err
			}
		}
		res.Affected = len(found)
		switch in.Action {
		case "tag", "untag":
			return bulkTags(ctx, s, tx, a, k, found, in.Action == "tag", in.Tags)
		case "set_owner":
			if err := s.checkOwner(ctx, a.OrgID, in.OwnerID); err != nil {
				return err
			}
			for _, rec := range found {
				owner := in.OwnerID
				if err := k.update(ctx, tx, a, rec, nil, &owner); err != nil {
					return err
				}
			}
			return nil
		case "delete":
			for _, rec := range found {
				if err := k.remove(ctx, tx, a, rec); err != nil {
					return err
				}
			}
			return nil
		}
		return invalidField("action", "Choose tag, untag, set_owner or delete.")
	})
	return res, err
}

func bulkTags[T any](ctx context.Context, s *Service, tx bun.Tx, a org.Actor, k bulkKind[T], records []T, add bool, names []string) error {
	clean, err := cleanTagNames(names)
	if err != nil {
		return err
	}
	if len(clean) == 0 {
		return invalidField("tags", "Name at least one tag.")
	}
	current, err := s.tagNames(ctx, tx, k.subject, mapSlice(records, k.id))
	if err != nil {
		return err
	}
	for _, rec := range records {
		next := slices.Clone(current[k.id(rec)])
		for _, n := range clean {
			has := slices.ContainsFunc(next, func(t string) bool { return strings.EqualFold(t, n) })
			switch {
			case add && !has:
				next = append(next, n)
			case !add && has:
				next = slices.DeleteFunc(next, func(t string) bool { return strings.EqualFold(t, n) })
			}
		}
		if err := k.update(ctx, tx, a, rec, &next, nil); err != nil {
			return err
		}
	}
	return nil
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}
