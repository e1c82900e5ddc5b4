package telegramtest

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // photo dimensions
	_ "image/jpeg"
	_ "image/png"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
)

const (
	maxCaptionLength = 1024 // UTF-16 code units
	placeholderSide  = 512  // dimensions of images this server cannot decode
)

// mediaKind describes one send* method that carries a file.
type mediaKind struct {
	method    string // e.g. "sendPhoto"
	field     string // parameter holding the file, e.g. "photo"
	kind      string // SentMessage.Kind, e.g. "photo"
	typeName  string // as in "can't use file of type Document as Photo"
	maxUpload int64  // multipart upload limit; more answers 413
	dir, ext  string // file_path directory and default extension
	idPrefix  string // first characters of file_ids, as Telegram's per type
	mime      string // default MIME type
}

func mediaKinds() []mediaKind {
	const mb = 1 << 20
	return []mediaKind{
		{"sendPhoto", "photo", "photo", "Photo", 10 * mb, "photos", "jpg", "AgAC", ""},
		{"sendDocument", "document", "document", "Document", 50 * mb, "documents", "", "BQAC", "application/octet-stream"},
		{"sendVoice", "voice", "voice", "Voice", 50 * mb, "voice", "oga", "AwAC", "audio/ogg"},
		{"sendVideo", "video", "video", "Video", 50 * mb, "videos", "mp4", "BAAC", "video/mp4"},
		{"sendAudio", "audio", "audio", "Audio", 50 * mb, "music", "mp3", "CQAC", "audio/mpeg"},
		{"sendSticker", "sticker", "sticker", "Sticker", 50 * mb, "stickers", "webp", "CAAC", ""},
	}
}

// sendMedia implements sendPhoto, sendDocument, sendVoice, sendVideo,
// sendAudio and sendSticker: the file may be an upload, a file_id the bot
// already has, or an http(s) URL.
func (s *Server) sendMedia(k mediaKind) handler {
	return func(b *bot, in *request) (any, *apiError) {
		caption := in.params["caption"]
		if k.kind == "sticker" {
			caption = "" // stickers have no caption
		}
		if utf16Len(caption) > maxCaptionLength {
			return nil, badRequest("message caption is too long")
		}
		f, e := b.inputFile(k, in)
		if e != nil {
			return nil, e
		}
		return s.send(b, in, outgoing{kind: k.kind, caption: caption, file: f})
	}
}

// inputFile resolves the file parameter of a send* request. A new file is
// returned unregistered; send registers it once the message goes out.
func (b *bot) inputFile(k mediaKind, in *request) (*storedFile, *apiError) {
	up, uploaded := in.files[k.field]
	ref := strings.TrimSpace(in.params[k.field])
	if name, ok := strings.CutPrefix(ref, "attach://"); ok && !uploaded {
		up, uploaded = in.files[name]
		if !uploaded {
			return nil, badRequest("wrong file identifier/HTTP URL specified")
		}
	}
	switch {
	case uploaded:
		return b.uploadedFile(k, up, in)
	case ref == "":
		return nil, badRequest("there is no " + k.field + " in the request")
	case strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://"):
		// Telegram would download the URL; this fake never leaves loopback.
		name := ""
		if u, err := url.Parse(ref); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
			name = path.Base(u.Path)
		}
		f := b.files.newFile(k, name, 0)
		f.mime = mimeType(f.name, nil, k.mime)
		f.width, f.height = placeholderSide, placeholderSide
		f.data = []byte{}
		return f, nil
	}
	f := b.files.get(ref)
	if f == nil {
		return nil, badRequest("wrong file identifier/HTTP URL specified")
	}
	if f.kind != k.kind {
		return nil, badRequest(fmt.Sprintf("can't use file of type %s as %s", f.typeName, k.typeName))
	}
	return f, nil
}

// uploadedFile builds the file for an upload, reading photo dimensions as
// Telegram does and rejecting what Telegram rejects.
func (b *bot) uploadedFile(k mediaKind, up upload, in *request) (*storedFile, *apiError) {
	if len(up.data) == 0 {
		return nil, badRequest("file must be non-empty")
	}
	f := b.files.newFile(k, up.name, int64(len(up.data)))
	f.data = up.data
	f.mime = mimeType(up.name, up.data, k.mime)
	if k.kind == "voice" {
		f.mime = k.mime // Telegram voice notes are always OGG/Opus
	}
	f.duration = in.intArg("duration", 0, 0, 1<<30)
	f.performer, f.title, f.emoji = in.params["performer"], in.params["title"], in.params["emoji"]
	f.width = in.intArg("width", 0, 0, 1<<16)
	f.height = in.intArg("height", 0, 0, 1<<16)
	switch k.kind {
	case "photo":
		w, h, ok := imageSize(up.data)
		if !ok {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		if w+h > 10000 || max(w, h) > 20*min(w, h) {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		f.width, f.height = w, h
	case "sticker":
		f.width, f.height = placeholderSide, placeholderSide
	}
	return f, nil
}

// imageSize reads the dimensions of a GIF, JPEG or PNG. Other image formats
// (WebP, BMP) are accepted with placeholder dimensions; data that is no
// image at all is refused, as Telegram refuses it.
func imageSize(data []byte) (w, h int, ok bool) {
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
		return cfg.Width, cfg.Height, true
	}
	if strings.HasPrefix(http.DetectContentType(data), "image/") {
		return placeholderSide, placeholderSide, true
	}
	return 0, 0, false
}

// mimeType guesses a file's MIME type from its name, then its content.
func mimeType(name string, data []byte, fallback string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	if len(data) > 0 {
		t, _, _ := strings.Cut(http.DetectContentType(data), ";")
		if t != "application/octet-stream" {
			return t
		}
	}
	return fallback
}

// attach puts f into m under the field of its kind.
func (f *storedFile) attach(m *Message) {
	switch f.kind {
	case "photo":
		m.Photo = []PhotoSize{{FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height, FileSize: f.size}}
	case "document":
		m.Document = &Document{FileID: f.id, FileUniqueID: f.uniqueID, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "voice":
		m.Voice = &Voice{FileID: f.id, FileUniqueID: f.uniqueID, Duration: f.duration, MimeType: f.mime, FileSize: f.size}
	case "video":
		m.Video = &Video{FileID: f.id, FileUniqueID: f.uniqueID, Width: f.width, Height: f.height,
			Duration: f.duration, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "audio":
		m.Audio = &Audio{FileID: f.id, FileUniqueID: f.uniqueID, Duration: f.duration, Performer: f.performer,
			Title: f.title, FileName: f.name, MimeType: f.mime, FileSize: f.size}
	case "sticker":
		m.Sticker = &Sticker{FileID: f.id, FileUniqueID: f.uniqueID, Type: "regular", Width: f.width,
			Height: f.height, Emoji: f.emoji, FileSize: f.size}
	}
}
