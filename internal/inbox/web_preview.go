package inbox

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/web"
)

// Link previews: a message's first web address gets a card, loaded after
// the message is drawn. The server fetches the page (and its picture)
// through the SSRF-safe fetcher; the browser only ever talks to Kite.

// previewWait bounds how long a card request waits for a slow site.
const previewWait = 6 * time.Second

func (s *Service) previewCard(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	link, ok := previewLink(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), previewWait)
	defer cancel()
	p, err := s.previews.Load().Fetch(ctx, link)
	w.Header().Set("Cache-Control", "private, max-age=600")
	if err != nil || p.Empty() {
		// No card: the link in the message stays as it is.
		w.WriteHeader(http.StatusOK)
		return
	}
	s.orgs.Render(w, r, http.StatusOK, previewCard(p, link))
}

func (s *Service) previewImage(w http.ResponseWriter, r *http.Request, c *org.WebCtx) {
	link, ok := previewLink(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), previewWait)
	defer cancel()
	data, typ, err := s.previews.Load().Image(ctx, link)
	if err != nil {
		http.Error(w, "No picture for this link.", http.StatusNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
}

// previewLink is the address a preview is asked for; anything but an http
// or https address is answered with 400.
func previewLink(w http.ResponseWriter, r *http.Request) (string, bool) {
	link := web.SafeHTTPURL(r.URL.Query().Get("url"))
	if link == "" {
		http.Error(w, "Give an http or https address.", http.StatusBadRequest)
	}
	return link, link != ""
}
