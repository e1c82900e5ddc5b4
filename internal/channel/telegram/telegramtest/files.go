package telegramtest

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxDownloadSize is the largest file a bot may download (getFile).
const maxDownloadSize = 20 << 20

// storedFile is a file the bot can reference by file_id.
type storedFile struct {
	id, uniqueID, path string
	kind, typeName     string // from mediaKind: "photo" and "Photo"
	name, mime         string
	size               int64
	data               []byte // nil when the content is unknown; downloads serve zeros
	width, height      int
	duration           int
	performer, title   string
	emoji              string
}

// fileStore holds one bot's files. File ids differ between bots on Telegram,
// so each bot has its own store.
type fileStore struct {
	mu     sync.Mutex
	botID  int64
	seq    uint64
	byID   map[string]*storedFile
	byPath map[string]*storedFile
}

// newFile creates a file of kind k with fresh ids and path; it is not
// visible until add, so a send that fails leaves nothing behind.
func (fs *fileStore) newFile(k mediaKind, name string, size int64) *storedFile {
	fs.mu.Lock()
	fs.seq++
	seq := fs.seq
	fs.mu.Unlock()

	// Ids encode bot and sequence number, so a file_id of another bot or
	// server is well-formed but unknown, as on Telegram.
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], uint64(fs.botID))
	binary.BigEndian.PutUint64(raw[8:], seq)
	ext := strings.TrimPrefix(strings.ToLower(path.Ext(name)), ".")
	if ext == "" {
		ext = k.ext
	}
	filePath := k.dir + "/file_" + strconv.FormatUint(seq, 10)
	if ext != "" {
		filePath += "." + ext
	}
	return &storedFile{
		id:       k.idPrefix + base64.RawURLEncoding.EncodeToString(raw[:]),
		uniqueID: "AQAD" + base64.RawURLEncoding.EncodeToString(raw[8:]),
		path:     filePath,
		kind:     k.kind,
		typeName: k.typeName,
		name:     name,
		size:     size,
	}
}

func (fs *fileStore) add(f *storedFile) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.byID == nil {
		fs.byID = make(map[string]*storedFile)
		fs.byPath = make(map[string]*storedFile)
	}
	fs.byID[f.id] = f
	fs.byPath[f.path] = f
}

func (fs *fileStore) get(id string) *storedFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byID[id]
}

func (fs *fileStore) atPath(p string) *storedFile {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.byPath[p]
}

// wellFormedFileID reports whether id has the shape of this server's file
// ids, to tell "invalid file_id" from "wrong file_id" as Telegram does.
func wellFormedFileID(id string) bool {
	if len(id) != 4+22 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(id[4:])
	return err == nil && len(raw) == 16
}

// fileInfo is the Bot API's File object.
type fileInfo struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileSize     int64  `json:"file_size,omitempty"`
	FilePath     string `json:"file_path,omitempty"`
}

// getFile implements https://core.telegram.org/bots/api#getfile.
func (s *Server) getFile(b *bot, in *request) (any, *apiError) {
	id := strings.TrimSpace(in.params["file_id"])
	if !wellFormedFileID(id) {
		return nil, badRequest("invalid file_id")
	}
	f := b.files.get(id)
	if f == nil {
		return nil, badRequest("wrong file_id or the file is temporarily unavailable")
	}
	if f.size > maxDownloadSize {
		return nil, badRequest("file is too big")
	}
	return fileInfo{FileID: f.id, FileUniqueID: f.uniqueID, FileSize: f.size, FilePath: f.path}, nil
}

// serveDownload answers GET /file/bot<token>/<file_path>. Downloads are
// recorded as calls with Method "file".
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, rest string, at time.Time) {
	token, filePath, _ := strings.Cut(rest, "/")
	b := s.lookup(token)
	status := s.download(w, b, filePath)
	if b != nil {
		b.log.add(Call{Method: "file", Params: map[string]string{"file_path": filePath}, Status: status, At: at})
	}
}

func (s *Server) download(w http.ResponseWriter, b *bot, filePath string) int {
	switch {
	case s.down.Load():
		return writeAnswer(w, nil, errBadGateway())
	case b == nil || b.revoked.Load():
		return writeAnswer(w, nil, errUnauthorized())
	}
	f := b.files.atPath(filePath)
	if f == nil || f.size > maxDownloadSize {
		return writeAnswer(w, nil, errNotFound())
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(f.size, 10))
	w.WriteHeader(http.StatusOK)
	if f.data != nil {
		_, _ = w.Write(f.data)
	} else {
		_, _ = io.CopyN(w, zeros{}, f.size)
	}
	return http.StatusOK
}

// zeros is an endless reader of zero bytes, the content of files whose
// content is unknown.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// AddFileOfSize registers a document of the given declared size without
// storing content, and returns its file_id. It is meant for the size limits:
// getFile answers "file is too big" above 20 MB; smaller ones download as
// zeros.
func (s *Server) AddFileOfSize(token, name string, size int64) string {
	b := s.mustBot(token)
	if size < 0 {
		panic(fmt.Sprintf("telegramtest: negative file size %d", size))
	}
	f := b.files.newFile(s.media["document"], name, size)
	f.mime = mimeType(name, nil, "application/octet-stream")
	b.files.add(f)
	return f.id
}
