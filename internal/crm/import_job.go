package crm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm/csvx"
	"github.com/kite-crm/kite/internal/platform/events"
)

// importBatchRows is how many rows one transaction imports: large enough
// for multi-row statements to pay off, small enough that SQLite's single
// writer is not held long.
const importBatchRows = 1000

// progressEvery is how often a running import reports its progress.
const progressEvery = time.Second

type importArgs struct {
	ImportID string `json:"import_id"`
}

func (importArgs) Kind() string { return "crm.import" }

func (importArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 10} }

type importWorker struct {
	river.WorkerDefaults[importArgs]
	s *Service
}

// Timeout lets an attempt run long: a 100 MiB file takes minutes, and a
// stopped attempt resumes from its last batch anyway.
func (w *importWorker) Timeout(*river.Job[importArgs]) time.Duration { return time.Hour }

// Work runs the import from its checkpoint. On the last attempt a failure
// marks the import failed, so that it never shows as running for ever.
func (w *importWorker) Work(ctx context.Context, job *river.Job[importArgs]) error {
	err := w.s.RunImport(ctx, job.Args.ImportID)
	if err != nil && !errors.Is(err, errImportMovedOn) && job.Attempt >= job.MaxAttempts {
		w.s.log.Error("import failed", "import", job.Args.ImportID, "err", err)
		return w.s.failImport(context.WithoutCancel(ctx), job.Args.ImportID, "The import stopped on an internal error; the rows counted so far were imported.")
	}
	return err
}

// errImportMovedOn stops an attempt whose checkpoint another attempt has
// already passed (a job rescued from a process presumed dead that was not).
var errImportMovedOn = errors.New("import: another attempt moved the checkpoint")

// importRun is one attempt at an import, with what every batch needs.
type importRun struct {
	s            *Service
	im           Import
	cols         importColumns
	defs         map[string]CustomField
	owners       map[string]string // a member's lowercased email -> user id
	companies    map[string]string // lowercased company name -> id
	companyNames map[string]string // company id -> name, for search text
	tags         map[string]string // tag name key -> id
	lastProgress time.Time
}

// RunImport imports an import's rows from its checkpoint to the end. The
// job worker calls it; stopped at any point (a crash, a cancelled ctx),
// it resumes from the last committed batch without repeating a row.
func (s *Service) RunImport(ctx context.Context, id string) error {
	var im Import
	if err := s.db.NewSelect().Model(&im).Where("id = ?", id).Scan(ctx); err != nil {
		if isNoRows(err) {
			return river.JobCancel(fmt.Errorf("import %s no longer exists", id))
		}
		return err
	}
	if im.Finished() || im.Status == ImportDraft {
		return nil
	}
	run, err := s.newImportRun(ctx, im)
	if err != nil {
		return err
	}
	r, err := run.reader(ctx)
	if err != nil {
		return err
	}
	// Reading and validating the next batch runs beside the writing of
	// this one, so parsing, phone normalization and SQL use both cores.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan preparedBatch, 1)
	go run.prepareBatches(ctx, r, batches)
	for pb := range batches {
		if pb.err != nil {
			return pb.err
		}
		if pb.read > 0 {
			if err := run.importBatch(ctx, pb); err != nil {
				return err
			}
			run.reportProgress(ctx, false)
		}
		if pb.eof {
			return run.finish(ctx)
		}
	}
	return ctx.Err()
}

func (s *Service) newImportRun(ctx context.Context, im Import) (*importRun, error) {
	run := &importRun{s: s, im: im, owners: map[string]string{}, companies: map[string]string{},
		companyNames: map[string]string{}, tags: map[string]string{}}
	var err error
	if run.defs, err = s.fieldDefs(ctx, s.db, im.OrgID, SubjectContact); err != nil {
		return nil, err
	}
	members, err := s.orgs.Members(ctx, im.OrgID)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		run.owners[m.Email] = m.UserID
	}
	var mapping map[string]string
	json.Unmarshal([]byte(im.MappingText), &mapping)
	run.cols = planColumns(im.Header(), mapping, run.defs)
	if im.Status == ImportQueued {
		run.im.Status = ImportRunning
		_, err = s.db.NewUpdate().Model(&run.im).Column("status").WherePK().Where("status = ?", ImportQueued).Exec(ctx)
	}
	return run, err
}

// reader opens the stored file at the checkpoint: the start (past the
// header) on a first attempt, the next unread row on a later one.
func (run *importRun) reader(ctx context.Context) (*csvx.Reader, error) {
	im := run.im
	if im.ResumeNumber == 0 {
		return csvx.NewReader(newChunkReader(ctx, run.s.db.Read, im.ID, 0))
	}
	sep := []rune(im.Separator)
	at := csvx.Position{Offset: im.ResumeOffset, Line: im.ResumeLine, Number: im.ResumeNumber}
	return csvx.Resume(newChunkReader(ctx, run.s.db.Read, im.ID, im.ResumeOffset), im.Header(), sep[0], at), nil
}

// preparedBatch is a batch of rows read and validated, ready to write.
type preparedBatch struct {
	good     []importRow
	rejected []rejectedRow
	read     int           // rows read, good and bad
	next     csvx.Position // where the row after the batch starts
	eof      bool          // the batch ends the file
	err      error         // reading failed
}

// prepareBatches reads the file batch by batch into out until its end,
// an error, or ctx's end; it closes out.
func (run *importRun) prepareBatches(ctx context.Context, r *csvx.Reader, out chan<- preparedBatch) {
	defer close(out)
	for {
		rows, err := readBatch(r, importBatchRows)
		pb := preparedBatch{read: len(rows), next: r.Position(), eof: errors.Is(err, io.EOF)}
		if err != nil && !pb.eof {
			pb.err = err
		} else {
			pb.good, pb.rejected = run.prepareRows(rows)
		}
		select {
		case out <- pb:
		case <-ctx.Done():
			return
		}
		if pb.eof || pb.err != nil {
			return
		}
	}
}

// prepareRows validates rows on every core, keeping their order.
func (run *importRun) prepareRows(rows []csvx.Row) ([]importRow, []rejectedRow) {
	parts := min(runtime.GOMAXPROCS(0), max(1, len(rows)/100))
	goods, bads := make([][]importRow, parts), make([][]rejectedRow, parts)
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() {
			for _, row := range rows[p*len(rows)/parts : (p+1)*len(rows)/parts] {
				if good, bad := run.cols.prepareRow(row, run.owners); bad != nil {
					bads[p] = append(bads[p], *bad)
				} else {
					goods[p] = append(goods[p], good)
				}
			}
		})
	}
	wg.Wait()
	return slices.Concat(goods...), slices.Concat(bads...)
}

// readBatch reads up to n rows; the error is io.EOF at the end of the file.
func readBatch(r *csvx.Reader, n int) ([]csvx.Row, error) {
	rows := make([]csvx.Row, 0, n)
	for len(rows) < n {
		row, err := r.Next()
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// reportProgress tells the progress listener how the import stands: after
// the first batch, then at most once per progressEvery, and at the end.
func (run *importRun) reportProgress(ctx context.Context, final bool) {
	if run.s.importProgress == nil || (!final && time.Since(run.lastProgress) < progressEvery) {
		return
	}
	run.lastProgress = time.Now()
	run.s.importProgress(ctx, run.im.decoded())
}

// finish marks the import done, drops the stored file (the rejected rows
// keep their own copy) and records import.finished. Imports record this
// one event and import.started, never an event per row: a million
// contact.created events would flood webhooks, automations and the
// activity log with no one to read them.
func (run *importRun) finish(ctx context.Context) error {
	im := &run.im
	now := run.s.now().UTC()
	im.Status, im.FinishedAt, im.UpdatedAt, im.ResumeOffset = ImportDone, &now, now, im.Size
	err := run.s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model(im).Column("status", "finished_at", "updated_at", "resume_offset").WherePK().
			Where("status = ?", ImportRunning).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errImportMovedOn
		}
		if _, err := tx.NewDelete().Model((*importChunk)(nil)).Where("import_id = ?", im.ID).Exec(ctx); err != nil {
			return err
		}
		return run.s.recordImportEvent(ctx, tx, *im, "import.finished")
	})
	if errors.Is(err, errImportMovedOn) {
		return nil
	}
	if err == nil {
		run.reportProgress(ctx, true)
	}
	return err
}

// failImport marks an import failed with a reason people can read.
func (s *Service) failImport(ctx context.Context, id, reason string) error {
	var im Import
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(&im).Where("id = ?", id).Scan(ctx); err != nil {
			return err
		}
		if im.Finished() {
			return nil
		}
		now := s.now().UTC()
		im.Status, im.Error, im.FinishedAt, im.UpdatedAt = ImportFailed, reason, &now, now
		if _, err := tx.NewUpdate().Model(&im).Column("status", "error", "finished_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.recordImportEvent(ctx, tx, im, "import.finished")
	})
	if err == nil && s.importProgress != nil && im.Status == ImportFailed {
		s.importProgress(ctx, im.decoded())
	}
	return err
}

// recordImportEvent records an import's event with its counts, as the
// person who started it.
func (s *Service) recordImportEvent(ctx context.Context, tx bun.Tx, im Import, typ string) error {
	payload, _ := json.Marshal(map[string]any{"status": im.Status, "filename": im.Filename, "total": im.Total,
		"created": im.Created, "updated": im.Updated, "skipped": im.Skipped, "failed": im.Failed})
	_, err := s.events.Record(ctx, tx, events.Event{OrgID: im.OrgID, Type: typ, SubjectID: im.ID, Actor: im.Actor, Payload: payload})
	return err
}
