package db

import (
	"context"
	"errors"

	"github.com/uptrace/bun"
)

// LoadInOrg reads the record with this id of the org into v, a model
// pointer. A malformed id, no such record and another org's record are all
// notFound: to a caller, another org's record does not exist.
func LoadInOrg(ctx context.Context, q bun.IDB, v any, orgID, id string, notFound error) error {
	if !ValidID(id) {
		return notFound
	}
	if err := q.NewSelect().Model(v).Where("org_id = ?", orgID).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(MapError(err), ErrNotFound) {
			return notFound
		}
		return err
	}
	return nil
}
