package crm

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// draftTTL is how long an uploaded file waits for its mapping on the web
// page before it is dropped.
const draftTTL = 24 * time.Hour

type draftSweepArgs struct{}

func (draftSweepArgs) Kind() string { return "crm.import_draft_sweep" }

// draftSweepWorker deletes drafts nobody started, with their stored
// files (the chunks go with them by cascade).
type draftSweepWorker struct {
	river.WorkerDefaults[draftSweepArgs]
	s *Service
}

func (w *draftSweepWorker) Work(ctx context.Context, _ *river.Job[draftSweepArgs]) error {
	_, err := w.s.db.NewDelete().Model((*Import)(nil)).Where("status = ?", ImportDraft).
		Where("created_at < ?", w.s.now().UTC().Add(-draftTTL)).Exec(ctx)
	return err
}
