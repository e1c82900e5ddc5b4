package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync/atomic"
)

// The CRM scenarios read and write a seeded organization (`kite seed`)
// through the API with its key (-token).

// CRMRead loads one GET path of the seeded org; setup may compute it.
type CRMRead struct {
	name, desc string
	path       string
	setup      func(ctx context.Context, env *Env) (string, error)
}

// NewContactsList loads the first page of contacts.
func NewContactsList() *CRMRead {
	return &CRMRead{name: "contacts-list", desc: "GET /api/v1/contacts?limit=50, the first page (needs -token)", path: "/api/v1/contacts?limit=50"}
}

// NewContactsDeep loads a page 10,000 rows deep by cursor.
func NewContactsDeep() *CRMRead {
	return &CRMRead{name: "contacts-deep", desc: "GET /api/v1/contacts?limit=50 with a cursor 10,000 rows deep (needs -token)",
		setup: func(ctx context.Context, env *Env) (string, error) {
			cursor := ""
			for range 50 { // 50 pages of 200
				var page struct {
					Next *string `json:"next_cursor"`
				}
				if err := getJSON(ctx, env, "/api/v1/contacts?limit=200&cursor="+url.QueryEscape(cursor), &page); err != nil {
					return "", err
				}
				if page.Next == nil {
					return "", errors.New("the seeded organization has fewer than 10,000 contacts")
				}
				cursor = *page.Next
			}
			return "/api/v1/contacts?limit=50&cursor=" + url.QueryEscape(cursor), nil
		}}
}

// NewContactsByTag loads the first page of contacts with a tag.
func NewContactsByTag() *CRMRead {
	return &CRMRead{name: "contacts-tag", desc: "GET /api/v1/contacts?limit=50&tag=vip (needs -token)", path: "/api/v1/contacts?limit=50&tag=vip"}
}

// NewSearchRare searches a prefix few contacts match.
func NewSearchRare() *CRMRead {
	return &CRMRead{name: "search-rare", desc: "GET /api/v1/contacts/search?q=zoe+wal, a rare prefix (needs -token)", path: "/api/v1/contacts/search?q=zoe+wal&limit=20"}
}

// NewSearchCommon searches a prefix very many contacts match.
func NewSearchCommon() *CRMRead {
	return &CRMRead{name: "search-common", desc: "GET /api/v1/contacts/search?q=an, a common prefix (needs -token)", path: "/api/v1/contacts/search?q=an&limit=20"}
}

func (s *CRMRead) Name() string        { return s.name }
func (s *CRMRead) Description() string { return s.desc }

// Validate needs the seeded organization's key.
func (s *CRMRead) Validate(env *Env) error { return needToken(env) }

// Setup computes the path when it depends on the data.
func (s *CRMRead) Setup(ctx context.Context, env *Env) error {
	if s.setup == nil {
		return nil
	}
	p, err := s.setup(ctx, env)
	s.path = p
	return err
}

// Do loads the path once and expects 200.
func (s *CRMRead) Do(ctx context.Context, client *http.Client, env *Env) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL(s.path), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	return Call(client, req, http.StatusOK)
}

// ContactWrite creates contacts (POST) or changes seeded ones (PATCH).
type ContactWrite struct {
	patch bool
	ids   []string
	n     atomic.Int64
}

// NewContactsCreate is POST /contacts with a fresh email each time.
func NewContactsCreate() *ContactWrite { return &ContactWrite{} }

// NewContactsPatch is PATCH /contacts/{id} on seeded contacts.
func NewContactsPatch() *ContactWrite { return &ContactWrite{patch: true} }

// Name returns contacts-create or contacts-patch.
func (w *ContactWrite) Name() string {
	if w.patch {
		return "contacts-patch"
	}
	return "contacts-create"
}

// Description says what the scenario writes.
func (w *ContactWrite) Description() string {
	if w.patch {
		return "PATCH /api/v1/contacts/{id} (title) on seeded contacts (needs -token)"
	}
	return "POST /api/v1/contacts with a new email each time (needs -token)"
}

// Validate needs the seeded organization's key.
func (w *ContactWrite) Validate(env *Env) error { return needToken(env) }

// Setup collects contacts to change.
func (w *ContactWrite) Setup(ctx context.Context, env *Env) error {
	if !w.patch {
		return nil
	}
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := getJSON(ctx, env, "/api/v1/contacts?limit=200", &page); err != nil {
		return err
	}
	for _, it := range page.Items {
		w.ids = append(w.ids, it.ID)
	}
	if len(w.ids) == 0 {
		return errors.New("the seeded organization has no contacts")
	}
	return nil
}

// Do writes once.
func (w *ContactWrite) Do(ctx context.Context, client *http.Client, env *Env) error {
	n := w.n.Add(1)
	method, path := http.MethodPost, "/api/v1/contacts"
	body := map[string]any{"first_name": "Bench", "last_name": fmt.Sprint(n), "email": fmt.Sprintf("bench-%d-%d@load.example", rand.Int64(), n)}
	want := http.StatusCreated
	if w.patch {
		method, path, want = http.MethodPatch, "/api/v1/contacts/"+w.ids[int(n)%len(w.ids)], http.StatusOK
		body = map[string]any{"title": fmt.Sprint("Title ", n)}
	}
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, method, env.URL(path), bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	req.Header.Set("Content-Type", "application/json")
	return Call(client, req, want)
}

func needToken(env *Env) error {
	if env.Token == "" {
		return errors.New("this scenario needs -token: an API key of a seeded organization (run `kite seed`)")
	}
	return nil
}

func getJSON(ctx context.Context, env *Env, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL(path), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+env.Token)
	res, err := env.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if err := CheckStatus(res, http.StatusOK); err != nil {
		return err
	}
	return json.NewDecoder(res.Body).Decode(out)
}
