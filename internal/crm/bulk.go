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

// BulkInput applies one action to many contacts.
type BulkInput struct {
	IDs     []string `json:"ids" minItems:"1" maxItems:"500"`
	Action  string   `json:"action" enum:"tag,untag,set_owner,delete"`
	Tags    []string `json:"tags,omitempty" maxItems:"20" doc:"For tag and untag"`
	OwnerID string   `json:"owner_id,omitempty" maxLength:"64" doc:"For set_owner; empty clears"`
}

// BulkResult says how many contacts the action changed.
type BulkResult struct {
	Affected int `json:"affected"`
}

// BulkContacts tags, untags, reassigns or deletes contacts of the org in
// one transaction; IDs of other orgs or unknown IDs are skipped. Each
// changed contact gets its event, as if changed one by one.
func (s *Service) BulkContacts(ctx context.Context, a org.Actor, in BulkInput) (BulkResult, error) {
	ids := slices.Compact(slices.Sorted(slices.Values(in.IDs)))
	if len(ids) > maxBulk {
		return BulkResult{}, invalidField("ids", "At most 500 contacts at once.")
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !db.ValidID(id) })
	var res BulkResult
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var found []Contact
		if len(ids) > 0 {
			if err := tx.NewSelect().Model(&found).Where("org_id = ?", a.OrgID).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
				return err
			}
		}
		res.Affected = len(found)
		switch in.Action {
		case "tag", "untag":
			return s.bulkTags(ctx, tx, a, found, in.Action == "tag", in.Tags)
		case "set_owner":
			if err := s.checkOwner(ctx, a.OrgID, in.OwnerID); err != nil {
				return err
			}
			for _, c := range found {
				owner := in.OwnerID
				if _, err := s.updateContactInTx(ctx, tx, a, c, ContactInput{OwnerID: &owner}); err != nil {
					return err
				}
			}
			return nil
		case "delete":
			for _, c := range found {
				if err := s.deleteContactInTx(ctx, tx, a, c); err != nil {
					return err
				}
			}
			return nil
		}
		return invalidField("action", "Choose tag, untag, set_owner or delete.")
	})
	return res, err
}

func (s *Service) bulkTags(ctx context.Context, tx bun.Tx, a org.Actor, contacts []Contact, add bool, names []string) error {
	clean, err := cleanTagNames(names)
	if err != nil {
		return err
	}
	if len(clean) == 0 {
		return invalidField("tags", "Name at least one tag.")
	}
	for _, c := range contacts {
		current := s.tagsOf(ctx, tx, SubjectContact, c.ID)
		next := slices.Clone(current)
		for _, n := range clean {
			has := slices.ContainsFunc(next, func(t string) bool { return strings.EqualFold(t, n) })
			switch {
			case add && !has:
				next = append(next, n)
			case !add && has:
				next = slices.DeleteFunc(next, func(t string) bool { return strings.EqualFold(t, n) })
			}
		}
		if _, err := s.updateContactInTx(ctx, tx, a, c, ContactInput{Tags: &next}); err != nil {
			return err
		}
	}
	return nil
}
