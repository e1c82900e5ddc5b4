package inbox

import (
	"context"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Files a member attaches to an outgoing message are uploaded first
// (POST /files) and then named by id in the message, so a composer can
// upload while the person types.

// maxUpload is the largest file a member may attach: the API's upload
// limit, which is also within what the Bot API takes (10 MB for photos).
const maxUpload = httpx.MaxUploadBody - 64<<10 // room for the multipart envelope

// maxPhoto is the largest image sent as a photo; larger ones go as documents.
const maxPhoto = 10 << 20

// Upload stores a file to attach to messages.
func (s *Service) Upload(ctx context.Context, a org.Actor, name, mimeType string, r io.Reader) (File, error) {
	name = strings.TrimSpace(filepath.Base(strings.ReplaceAll(name, `\`, "/")))
	if name == "" || name == "." || name == "/" {
		name = "file"
	}
	if mt, _, err := mime.ParseMediaType(mimeType); err == nil {
		mimeType = mt
	} else {
		mimeType = "application/octet-stream"
	}
	f := File{ID: db.NewID(), OrgID: a.OrgID, Name: truncate(name, 200), MIME: mimeType, CreatedAt: s.now()}
	var err error
	if f.Size, f.SHA256, err = s.blobs.Put(a.OrgID, f.ID, r, maxUpload); err != nil {
		if err == ErrFileTooBig {
			return File{}, httpx.NewProblem(http.StatusRequestEntityTooLarge, "file_too_big", "A file to send may have up to 10 MB.")
		}
		return File{}, err
	}
	if f.Size == 0 {
		return File{}, httpx.Invalid("body.file", "The file is empty.")
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&f).Exec(ctx)
		return err
	})
	return f, err
}

// OutgoingFile names an uploaded file to attach.
type OutgoingFile struct {
	FileID string `json:"file_id" maxLength:"64"`
}

// attachmentsOf turns the files of an outgoing message into attachments:
// images up to 10 MB go as photos, everything else as documents.
func (s *Service) attachmentsOf(ctx context.Context, orgID string, files []OutgoingFile) ([]Attachment, error) {
	var out []Attachment
	for _, of := range files {
		var f File
		if err := db.LoadInOrg(ctx, s.db.Read, &f, orgID, of.FileID, errFileNotFound); err != nil {
			return nil, invalidField("attachments", "No file of this organization has the id "+of.FileID+"; upload it with POST /files first.")
		}
		kind := "document"
		switch f.MIME {
		case "image/jpeg", "image/png", "image/webp":
			if f.Size <= maxPhoto {
				kind = "photo"
			}
		}
		out = append(out, Attachment{Kind: kind, FileID: f.ID, Status: "ready", Name: f.Name, MIME: f.MIME, Size: f.Size})
	}
	return out, nil
}
