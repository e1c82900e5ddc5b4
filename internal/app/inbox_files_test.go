package app

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// fileUpload is a body that client.do sends as a multipart form with one
// file, as POST /files takes it.
type fileUpload struct {
	Name, ContentType string
	Data              []byte
}

// uploadFile posts a file to POST /files as a browser form would.
func (c *client) uploadFile(name, contentType string, data []byte) response {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", contentType)
	part, _ := w.CreatePart(h)
	part.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", c.base+"/files", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Org-ID", c.org)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	json.Unmarshal(raw, &out.Body)
	return out
}

// TinyPNG is a small picture for the page tests of package app_test.
var TinyPNG = tinyPNG

func tinyPNG(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		img.Set(x, x, color.RGBA{200, 40, 40, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestTelegramSendsPhotosAndDocuments(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		k := startTelegramKite(t, b, "webhook")
		token, _ := k.connectBot(t, 1007, "acme_files_bot")
		fay := telegramtest.User{ID: 9101, FirstName: "Fay"}
		k.tg.UserSays(token, fay, "send me the quote please")
		k.waitDelivered(t, token)
		chatID := k.firstChat(t)

		photo := k.c.uploadFile("chart.png", "image/png", tinyPNG(t))
		if photo.Status != 201 || photo.Str("mime") != "image/png" || photo.Str("name") != "chart.png" {
			t.Fatalf("upload: %d %s", photo.Status, photo.Raw)
		}
		doc := k.c.uploadFile("quote.txt", "text/plain; charset=utf-8", []byte("Pro plan, 12 seats, 10% off"))
		if doc.Status != 201 || doc.Str("mime") != "text/plain" {
			t.Fatalf("upload: %d %s", doc.Status, doc.Raw)
		}
		if r := k.c.uploadFile("big.bin", "application/octet-stream", bytes.Repeat([]byte("x"), 11<<20)); r.Status != 413 {
			t.Errorf("an 11 MB upload: %d %s", r.Status, r.Raw)
		}
		if r := k.c.uploadFile("empty.txt", "text/plain", nil); r.Status != 422 {
			t.Errorf("an empty upload: %d %s", r.Status, r.Raw)
		}
		other := k.api.signUp("other@example.com", "Other")
		theirs := k.api.as(other.Access, other.OrgID).uploadFile("theirs.txt", "text/plain", []byte("not yours"))
		if r := k.c.do("POST", "/chats/"+chatID+"/messages", map[string]any{"attachments": []map[string]any{{"file_id": theirs.Str("id")}}}); r.Status != 422 {
			t.Errorf("sending another org's file: %d %s", r.Status, r.Raw)
		}

		m := k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"text": "Here it is",
			"attachments": []map[string]any{{"file_id": photo.Str("id")}, {"file_id": doc.Str("id")}}})
		if att := m.Body["attachments"].([]any); len(att) != 2 || att[0].(map[string]any)["kind"] != "photo" || att[1].(map[string]any)["kind"] != "document" {
			t.Fatalf("queued attachments = %v", m.Body["attachments"])
		}
		k.waitStatus(t, chatID, m.Str("id"), "sent", 15*time.Second)
		sent := k.tg.Sent(token)
		if len(sent) != 2 || sent[0].Kind != "photo" || sent[0].Caption != "Here it is" || sent[1].Kind != "document" || sent[1].Caption != "" {
			t.Fatalf("telegram got %+v", sent)
		}
		// The chat list shows the photo in its preview when there is no text.
		m = k.c.must(202, "POST", "/chats/"+chatID+"/messages", map[string]any{"attachments": []map[string]any{{"file_id": photo.Str("id")}}})
		k.waitStatus(t, chatID, m.Str("id"), "sent", 15*time.Second)
		if c := k.c.must(200, "GET", "/chats/"+chatID, nil); !strings.Contains(c.Str("last_message_preview"), "Photo") {
			t.Errorf("preview = %q", c.Str("last_message_preview"))
		}
	})
}
