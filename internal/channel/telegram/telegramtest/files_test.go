package telegramtest_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

func pngImage(t *testing.T, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func download(t *testing.T, link string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, []byte(readAll(t, resp))
}

func TestPhotoUploadGetFileAndDownloadRoundTrip(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{}))
	srv.UserSays(token, ann(), "send me the chart")
	client := newClient(t, srv, token)
	ctx := testContext(t)
	data := pngImage(t, 40, 30)

	m, err := client.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: ann().ID, Caption: "weekly #report",
		Photo: &models.InputFileUpload{Filename: "chart.png", Data: bytes.NewReader(data)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Photo) != 1 || m.Photo[0].Width != 40 || m.Photo[0].Height != 30 ||
		m.Photo[0].FileSize != len(data) || m.Caption != "weekly #report" || len(m.CaptionEntities) != 1 {
		t.Fatalf("message %+v", m)
	}
	f, err := client.GetFile(ctx, &bot.GetFileParams{FileID: m.Photo[0].FileID})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(f.FilePath, "photos/") || !strings.HasSuffix(f.FilePath, ".png") ||
		f.FileUniqueID != m.Photo[0].FileUniqueID || f.FileSize != int64(len(data)) {
		t.Fatalf("file %+v", f)
	}
	if status, got := download(t, client.FileDownloadLink(f)); status != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("download: %d, %d bytes", status, len(got))
	}

	calls := srv.Calls(token)
	up := calls[len(calls)-3].Files["photo"] // sendPhoto, getFile, file
	if up.Name != "chart.png" || up.Size != len(data) {
		t.Fatalf("recorded upload %+v", up)
	}
	if sent := srv.Sent(token); sent[0].Kind != "photo" || sent[0].FileID != m.Photo[0].FileID {
		t.Fatalf("sent %+v", sent)
	}

	again, err := client.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: ann().ID,
		Photo: &models.InputFileString{Data: m.Photo[0].FileID}})
	if err != nil || again.Photo[0].FileUniqueID != m.Photo[0].FileUniqueID {
		t.Fatalf("resend by file_id: %v", err)
	}
	_, err = client.SendDocument(ctx, &bot.SendDocumentParams{ChatID: ann().ID,
		Document: &models.InputFileString{Data: m.Photo[0].FileID}})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "can't use file of type Photo as Document") {
		t.Fatalf("photo as document: %v", err)
	}
	_, err = client.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: ann().ID,
		Photo: &models.InputFileUpload{Filename: "notes.txt", Data: strings.NewReader("not an image")}})
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "IMAGE_PROCESS_FAILED") {
		t.Fatalf("text as photo: %v", err)
	}
}

func TestUploadsOverTheLimitAre413(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	_ = form.WriteField("chat_id", "1001")
	part, _ := form.CreateFormFile("photo", "huge.jpg")
	_, _ = part.Write(make([]byte, 10<<20+1))
	_ = form.Close()
	resp, err := http.Post(srv.URL()+"/bot"+token+"/sendPhoto", form.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, decodeAnswer(t, resp), http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	if len(srv.Sent(token)) != 0 {
		t.Fatal("oversized photo was sent")
	}
}

func TestGetFileErrors(t *testing.T) {
	srv := newServer(t)
	other := "654321:other-bot"
	srv.AddBot(other, "other_bot")
	big := srv.AddFileOfSize(token, "backup.zip", 21<<20)
	small := srv.AddFileOfSize(token, "small.bin", 10)
	othersFile := srv.AddFileOfSize(other, "theirs.pdf", 10)

	_, err := newClient(t, srv, token).GetFile(testContext(t), &bot.GetFileParams{FileID: big})
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("big file: %v", err)
	}
	cases := map[string]string{
		big:        "Bad Request: file is too big",
		"nonsense": "Bad Request: invalid file_id",
		othersFile: "Bad Request: wrong file_id or the file is temporarily unavailable",
	}
	for id, want := range cases {
		wantError(t, call(t, srv, token, "getFile", url.Values{"file_id": {id}}), http.StatusBadRequest, want)
	}
	if a := call(t, srv, token, "getFile", url.Values{"file_id": {small}}); !a.OK {
		t.Fatalf("small file: %+v", a)
	}
	if status, _ := download(t, srv.URL()+"/file/bot"+token+"/documents/no_such_file.pdf"); status != http.StatusNotFound {
		t.Fatalf("unknown path: %d", status)
	}
}

func TestUserSendsDocumentThatTheBotCanDownload(t *testing.T) {
	srv := newServer(t)
	data := []byte("%PDF-1.4 invoice")
	u := srv.UserSendsDocument(token, ann(), "invoice.pdf", data, "my invoice")
	d := u.Message.Document
	if d == nil || d.FileName != "invoice.pdf" || d.MimeType != "application/pdf" || d.FileSize != int64(len(data)) ||
		u.Message.Caption != "my invoice" {
		t.Fatalf("document %+v", u.Message)
	}
	client := newClient(t, srv, token)
	f, err := client.GetFile(testContext(t), &bot.GetFileParams{FileID: d.FileID})
	if err != nil {
		t.Fatal(err)
	}
	if status, got := download(t, client.FileDownloadLink(f)); status != http.StatusOK || !bytes.Equal(got, data) {
		t.Fatalf("download: %d %q", status, got)
	}

	photo := srv.UserSendsPhoto(token, ann(), "me.png", pngImage(t, 8, 6), "")
	if p := photo.Message.Photo; len(p) != 1 || p[0].Width != 8 || p[0].Height != 6 {
		t.Fatalf("photo %+v", p)
	}
}
