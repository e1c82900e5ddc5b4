package inbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
)

// Blobs keeps file bytes in a directory, one file per id under its org's
// folder; the files table holds what is known about each.
type Blobs struct{ dir string }

// NewBlobs keeps blobs under dir (created on first write).
func NewBlobs(dir string) *Blobs { return &Blobs{dir: dir} }

func (b *Blobs) path(orgID, id string) string { return filepath.Join(b.dir, orgID, id) }

// Put writes r (at most limit bytes) as the blob id of org, atomically:
// a crash leaves either the whole file or none.
func (b *Blobs) Put(orgID, id string, r io.Reader, limit int64) (size int64, sum string, err error) {
	dir := filepath.Join(b.dir, orgID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, "", err
	}
	tmp, err := os.CreateTemp(dir, ".incoming-*")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = ErrFileTooBig
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), os.Rename(tmp.Name(), b.path(orgID, id))
}

// Open opens the blob id of org.
func (b *Blobs) Open(orgID, id string) (*os.File, error) { return os.Open(b.path(orgID, id)) }

// ErrFileTooBig is a file over the size Kite (or the channel) takes.
var ErrFileTooBig = errors.New("file too big")

// ErrFileGone is a file the channel no longer has.
var ErrFileGone = errors.New("file no longer available")

// FileFetcher is implemented by channels whose messages carry files that
// are fetched after the message is stored.
type FileFetcher interface {
	// Fetch opens the channel's file; size is -1 when unknown. It returns
	// ErrFileTooBig or ErrFileGone when the file can never be fetched.
	Fetch(ctx context.Context, ch ChannelRecord, externalID string) (r io.ReadCloser, size int64, err error)
}

// maxReceivedFile bounds a received file (the Bot API serves up to 20 MB).
const maxReceivedFile = 20 << 20

type fetchArgs struct {
	MessageID string `json:"message_id"`
}

func (fetchArgs) Kind() string { return "inbox.fetch_files" }

func (s *Service) enqueueFetch(ctx context.Context, tx bun.Tx, messageID string) error {
	if s.queue == nil {
		return nil
	}
	return s.queue.Enqueue(ctx, tx, fetchArgs{MessageID: messageID}, &river.InsertOpts{MaxAttempts: 8})
}

type fetchWorker struct {
	river.WorkerDefaults[fetchArgs]
	s *Service
}

// NextRetry retries a failed fetch soon, then less often.
func (w *fetchWorker) NextRetry(job *river.Job[fetchArgs]) time.Time {
	return time.Now().Add(time.Duration(1<<min(job.Attempt, 10)) * time.Second)
}

// Work fetches the pending files of a message into blob storage and marks
// each ready (or too big, or gone); a file fetched before a crash is
// fetched again, under a new id, and the old blob is never referenced.
func (w *fetchWorker) Work(ctx context.Context, job *river.Job[fetchArgs]) error {
	s := w.s
	var m Message
	if err := s.db.NewSelect().Model(&m).Where("id = ?", job.Args.MessageID).Scan(ctx); err != nil {
		if errors.Is(db.MapError(err), db.ErrNotFound) {
			return nil
		}
		return err
	}
	var ch ChannelRecord
	if err := s.db.NewSelect().Model(&ch).Where("id = ?", m.ChannelID).Scan(ctx); err != nil {
		return err
	}
	c, ok := s.channel(ch.Kind)
	f, can := c.(FileFetcher)
	if !ok || !can {
		return nil
	}
	list := decodeAttachments(m.AttachmentsText)
	var lastErr error
	for i, a := range list {
		if a.Status != "pending" || a.ExternalID == "" {
			continue
		}
		if a.Size > maxReceivedFile {
			list[i].Status = "too_big"
			continue
		}
		file, err := s.fetchOne(ctx, f, ch, m.OrgID, a)
		switch {
		case errors.Is(err, ErrFileTooBig):
			list[i].Status = "too_big"
		case errors.Is(err, ErrFileGone) || (err != nil && job.Attempt >= job.MaxAttempts):
			list[i].Status = "failed"
		case err != nil:
			lastErr = err
		default:
			list[i].Status, list[i].FileID, list[i].Size = "ready", file.ID, file.Size
		}
	}
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m.AttachmentsText = encodeAttachments(list)
		if _, err := tx.NewUpdate().Model(&m).Column("attachments").WherePK().Exec(ctx); err != nil {
			return err
		}
		m.fill()
		var chat Chat
		chat.ID = m.ChatID
		return s.record(ctx, tx, m.OrgID, "system:"+ch.Kind, "message.updated", m.ChatID, messageEvent(chat, m))
	})
	if err != nil {
		return err
	}
	if lastErr != nil {
		return fmt.Errorf("fetch files of message %s: %w", m.ID, lastErr)
	}
	return nil
}

func (s *Service) fetchOne(ctx context.Context, f FileFetcher, ch ChannelRecord, orgID string, a Attachment) (File, error) {
	r, size, err := f.Fetch(ctx, ch, a.ExternalID)
	if err != nil {
		return File{}, err
	}
	defer r.Close()
	if size > maxReceivedFile {
		return File{}, ErrFileTooBig
	}
	file := File{ID: db.NewID(), OrgID: orgID, Name: a.Name, MIME: a.MIME, CreatedAt: s.now()}
	if file.MIME == "" {
		file.MIME = "application/octet-stream"
	}
	if file.Size, file.SHA256, err = s.blobs.Put(orgID, file.ID, r, maxReceivedFile); err != nil {
		return File{}, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&file).Exec(ctx)
		return err
	})
	return file, err
}

// OpenFile opens a stored file of the org for reading.
func (s *Service) OpenFile(ctx context.Context, orgID, id string) (File, *os.File, error) {
	var f File
	if err := db.LoadInOrg(ctx, s.db.Read, &f, orgID, id, errFileNotFound); err != nil {
		return f, nil, err
	}
	r, err := s.blobs.Open(orgID, id)
	if err != nil {
		return f, nil, errFileNotFound
	}
	return f, r, nil
}
