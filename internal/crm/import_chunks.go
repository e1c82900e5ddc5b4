package crm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/uptrace/bun"
)

// importChunkBytes is the size of every stored chunk of an uploaded file
// but the last, so that a byte offset names its chunk: offset/size.
const importChunkBytes = 1 << 20

type importChunk struct {
	bun.BaseModel `bun:"table:import_chunks"`
	ImportID      string `bun:"import_id,pk"`
	Seq           int    `bun:"seq,pk"`
	Data          []byte `bun:"data"`
}

// storeChunks copies in to the import's chunks inside tx, one chunk in
// memory at a time, and returns the bytes stored. It stops with
// errImportTooLarge past max bytes.
func storeChunks(ctx context.Context, tx bun.Tx, importID string, in io.Reader, max int64) (int64, error) {
	buf := make([]byte, importChunkBytes)
	var size int64
	for seq := 0; ; seq++ {
		n, err := io.ReadFull(in, buf)
		if n > 0 {
			size += int64(n)
			if size > max {
				return size, errImportTooLarge
			}
			chunk := []importChunk{{ImportID: importID, Seq: seq, Data: buf[:n]}}
			if ierr := insertMany(ctx, tx, chunk, 3, ""); ierr != nil {
				return size, ierr
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return size, nil
		case err != nil:
			return size, err
		}
	}
}

// chunkReader reads a stored file from a byte offset, loading one chunk at
// a time.
type chunkReader struct {
	ctx      context.Context
	q        bun.IDB
	importID string
	next     int    // seq of the next chunk to load
	skip     int    // bytes to drop from the next chunk loaded
	buf      []byte // unread bytes of the current chunk
	done     bool
}

// newChunkReader returns a reader of the import's file from offset.
func newChunkReader(ctx context.Context, q bun.IDB, importID string, offset int64) *chunkReader {
	return &chunkReader{ctx: ctx, q: q, importID: importID,
		next: int(offset / importChunkBytes), skip: int(offset % importChunkBytes)}
}

func (r *chunkReader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.done {
			return 0, io.EOF
		}
		if err := r.load(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// load reads the next chunk; a missing chunk is the end of the file.
func (r *chunkReader) load() error {
	var data []byte
	err := r.q.NewSelect().Model((*importChunk)(nil)).Column("data").
		Where("import_id = ?", r.importID).Where("seq = ?", r.next).Scan(r.ctx, &data)
	if err != nil {
		if isNoRows(err) {
			r.done = true
			return nil
		}
		return fmt.Errorf("import %s: reading chunk %d: %w", r.importID, r.next, err)
	}
	r.next++
	if r.skip > len(data) {
		return fmt.Errorf("import %s: resume offset beyond chunk %d", r.importID, r.next-1)
	}
	r.buf, r.skip = data[r.skip:], 0
	return nil
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
