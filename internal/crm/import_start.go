package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/crm/csvx"
	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// MaxImportBytes is the largest CSV file an import takes.
const MaxImportBytes = 100 << 20

// MaxImportRequestBytes bounds an upload request: the file plus the form
// around it.
const MaxImportRequestBytes = MaxImportBytes + 1<<20

var errImportTooLarge = httpx.NewProblem(http.StatusRequestEntityTooLarge, "too_large", "The file is larger than the 100 MiB an import takes.")

// ImportUpload is a CSV file to import and how.
type ImportUpload struct {
	Filename string
	// File is read twice: once for its header, then from the start again
	// to be stored.
	File io.ReadSeeker
	// Mapping is JSON (column -> field); empty guesses it from the header.
	Mapping string
	// OnDuplicate is skip (the default) or update.
	OnDuplicate string
	// Draft stores the file without starting: the web page asks for the
	// mapping first (StartDraft).
	Draft bool
}

// StartImport stores an uploaded file and, in the same transaction,
// queues the job that imports it (unless it is a draft). The file must be
// CSV with a header row and at least one data row; the mapping, given or
// guessed, must name a column for the contact's name or email.
func (s *Service) StartImport(ctx context.Context, a org.Actor, up ImportUpload) (Import, error) {
	onDup, err := checkOnDuplicate(up.OnDuplicate)
	if err != nil {
		return Import{}, err
	}
	header, sep, err := readImportHeader(up.File)
	if err != nil {
		return Import{}, err
	}
	defs, err := s.CustomFields(ctx, a.OrgID, SubjectContact)
	if err != nil {
		return Import{}, err
	}
	mapping, err := s.importMapping(up, header, defs)
	if err != nil {
		return Import{}, err
	}
	if _, err := up.File.Seek(0, io.SeekStart); err != nil {
		return Import{}, err
	}
	now := s.now().UTC()
	headerJSON, _ := json.Marshal(header)
	mappingJSON, _ := json.Marshal(mapping)
	im := Import{ID: db.NewID(), OrgID: a.OrgID, CreatedBy: a.UserID, Actor: a.EventActor(), Status: ImportQueued,
		Filename: cleanFilename(up.Filename), OnDuplicate: onDup, MappingText: string(mappingJSON), HeaderText: string(headerJSON),
		Separator: string(sep), CreatedAt: now, UpdatedAt: now}
	if up.Draft {
		im.Status = ImportDraft
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&im).Exec(ctx); err != nil {
			return err
		}
		if im.Size, err = storeChunks(ctx, tx, im.ID, up.File, MaxImportBytes); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&im).Column("size").WherePK().Exec(ctx); err != nil {
			return err
		}
		if up.Draft {
			return nil
		}
		return s.queueImport(ctx, tx, a, im)
	})
	if err != nil {
		return Import{}, err
	}
	return im.decoded(), nil
}

// StartDraft starts an import uploaded as a draft with the mapping and
// duplicate rule chosen on the page (column -> field; "" leaves a column out).
func (s *Service) StartDraft(ctx context.Context, a org.Actor, id string, mapping map[string]*string, onDuplicate string) (Import, error) {
	onDup, err := checkOnDuplicate(onDuplicate)
	if err != nil {
		return Import{}, err
	}
	defs, err := s.CustomFields(ctx, a.OrgID, SubjectContact)
	if err != nil {
		return Import{}, err
	}
	var im Import
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if im, err = s.importOf(ctx, tx, a.OrgID, id); err != nil {
			return err
		}
		if im.Status != ImportDraft {
			return httpx.NewProblem(http.StatusConflict, "conflict", "This import has started already.")
		}
		clean, err := checkMapping(mapping, im.Header(), defs)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(clean)
		im.MappingText, im.OnDuplicate, im.Status, im.UpdatedAt = string(b), onDup, ImportQueued, s.now().UTC()
		if _, err := tx.NewUpdate().Model(&im).Column("mapping", "on_duplicate", "status", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.queueImport(ctx, tx, a, im)
	})
	return im.decoded(), err
}

// queueImport enqueues the import's job and records import.started.
func (s *Service) queueImport(ctx context.Context, tx bun.Tx, a org.Actor, im Import) error {
	if err := s.queue.Enqueue(ctx, tx, importArgs{ImportID: im.ID}, nil); err != nil {
		return err
	}
	return s.record(ctx, tx, a, "import.started", im.ID, map[string]any{"filename": im.Filename, "size": im.Size,
		"on_duplicate": im.OnDuplicate})
}

// importMapping is the upload's mapping, or the guess from the header.
func (s *Service) importMapping(up ImportUpload, header []string, defs []CustomField) (map[string]string, error) {
	if strings.TrimSpace(up.Mapping) != "" {
		return parseMapping(up.Mapping, header, defs)
	}
	guess := GuessMapping(header, defs)
	if up.Draft {
		return guess, nil
	}
	in := make(map[string]*string, len(guess))
	for column, field := range guess {
		in[column] = &field
	}
	if _, err := checkMapping(in, header, defs); err != nil {
		return nil, invalidField("mapping", "No column looks like a name or an email address ("+strings.Join(header, ", ")+
			"): send a mapping of column to field.")
	}
	return guess, nil
}

func checkOnDuplicate(v string) (string, error) {
	switch v {
	case "":
		return DuplicateSkip, nil
	case DuplicateSkip, DuplicateUpdate:
		return v, nil
	}
	return "", invalidField("on_duplicate", "Choose skip or update for duplicates.")
}

// sniffBytes is how much of a file is checked for binary content.
const sniffBytes = 8 << 10

// readImportHeader checks that f is a CSV file with a header and a data
// row, and returns the header and separator.
func readImportHeader(f io.ReadSeeker) ([]string, rune, error) {
	start := make([]byte, sniffBytes)
	n, err := io.ReadFull(f, start)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	if bytes.IndexByte(start[:n], 0) >= 0 {
		return nil, 0, invalidField("file", "This is not a CSV file (it holds binary data). Export the sheet as CSV and upload that.")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	r, err := csvx.NewReader(f)
	if errors.Is(err, csvx.ErrEmpty) {
		return nil, 0, invalidField("file", "The file is empty.")
	}
	var he *csvx.HeaderError
	if errors.As(err, &he) {
		return nil, 0, invalidField("file", "The first row must name the columns: "+strings.TrimPrefix(he.Error(), "csv header, ")+".")
	}
	if err != nil {
		return nil, 0, err
	}
	if _, err := r.Next(); errors.Is(err, io.EOF) {
		return nil, 0, invalidField("file", "The file has a header row but no contacts below it.")
	} else if err != nil {
		return nil, 0, err
	}
	return r.Header(), r.Separator(), nil
}

// cleanFilename keeps the base name of an uploaded file, for display.
func cleanFilename(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.ToValidUTF8(name, "")
	if len(name) > 200 {
		name = truncateUTF8(name, 200)
	}
	return name
}
