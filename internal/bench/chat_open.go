package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// ChatOpen times the first paint of a long conversation: the newest 50
// messages of a chat that has thousands, as the inbox loads them when the
// chat is opened, and the chat's HTML page when Kite serves one. The chat
// comes from `kite seed -chat-messages N`.
type ChatOpen struct {
	asMember
	chatID   string
	messages int
	cookie   string // the member's web session, for the HTML page
	// web is the load client that does not follow redirects: a page that
	// sends the member to sign in must count as failed, not as a fast page.
	web *http.Client
}

// NewChatOpen returns the chat-open scenario.
func NewChatOpen() *ChatOpen { return &ChatOpen{} }

// Name returns "chat-open".
func (*ChatOpen) Name() string { return "chat-open" }

// Description says what chat-open loads.
func (*ChatOpen) Description() string {
	return "GET /api/v1/chats/{id}/messages?limit=50 (and the HTML /inbox/{id} when served) on the longest seeded chat (kite seed -chat-messages 10000; needs -email, -password)"
}

// longChatTitle matches the title the seed gives its long chat and
// captures the message count.
var longChatTitle = regexp.MustCompile(`^Long conversation \((\d+) messages\)$`)

// Run signs in, finds the long chat and drives the message list, then the
// HTML page if there is one, with the Runner's clients.
func (s *ChatOpen) Run(ctx context.Context, env *Env) ([]Result, error) {
	if err := s.Setup(ctx, env); err != nil {
		return nil, err
	}
	s.web = &http.Client{Transport: env.Client.Transport, Timeout: requestTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := s.findChat(ctx, env); err != nil {
		return nil, err
	}
	env.Logf("chat-open: chat %s has %d messages", s.chatID, s.messages)
	api := "/api/v1/chats/" + s.chatID + "/messages?limit=50"
	if err := s.get(ctx, env.Client, env, api); err != nil {
		return nil, err
	}
	res, err := env.Runner().Run(ctx, "chat-open/api", func(ctx context.Context) error {
		return s.get(ctx, env.Client, env, api)
	})
	res.Metrics = append(res.Metrics, Metric{Name: "chat messages", Value: float64(s.messages)})
	results := []Result{res}
	if err != nil {
		return results, err
	}
	page := "/inbox/" + s.chatID
	ok, why, err := s.htmlServed(ctx, env, page)
	if err != nil {
		return results, err
	}
	if !ok {
		env.Logf("chat-open: no HTML page at %s (%s); timed the API only", page, why)
		return results, nil
	}
	res, err = env.Runner().Run(ctx, "chat-open/html", func(ctx context.Context) error {
		_, err := s.getPage(ctx, env, page)
		return err
	})
	res.Metrics = append(res.Metrics, Metric{Name: "chat messages", Value: float64(s.messages)})
	return append(results, res), err
}

// findChat picks the seeded long chat with the most messages.
func (s *ChatOpen) findChat(ctx context.Context, env *Env) error {
	var page struct {
		Items []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		} `json:"items"`
	}
	q := url.Values{"q": {"Long conversation"}, "limit": {"200"}}
	if err := authedJSON(ctx, env, http.MethodGet, "/api/v1/chats?"+q.Encode(), s.token, nil, http.StatusOK, &page); err != nil {
		return fmt.Errorf("looking for the long chat: %w", err)
	}
	for _, it := range page.Items {
		m := longChatTitle.FindStringSubmatch(it.Title)
		if m == nil {
			continue
		}
		if n, err := strconv.Atoi(m[1]); err == nil && n > s.messages {
			s.chatID, s.messages = it.ID, n
		}
	}
	if s.chatID == "" {
		return errors.New(`no chat titled "Long conversation (N messages)": seed one with kite seed -chat-messages 10000`)
	}
	return nil
}

// htmlServed signs the member in on the web and reports whether path
// answers 200 with HTML, and if not, why.
func (s *ChatOpen) htmlServed(ctx context.Context, env *Env, path string) (bool, string, error) {
	cookie, err := webSession(ctx, s.web, env)
	if err != nil {
		return false, "", err
	}
	s.cookie = cookie
	resp, err := s.getPage(ctx, env, path)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return false, "status " + se.Status, nil
		}
		return false, "", err
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return false, "answered " + resp.Header.Get("Content-Type"), nil
	}
	return true, "", nil
}

// getPage loads path with the web session, not following redirects (a
// redirect to the sign-in page is a failure), reads the body and expects
// 200.
func (s *ChatOpen) getPage(ctx context.Context, env *Env, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL(path), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cookie", s.cookie)
	req.Header.Set("Accept", "text/html")
	resp, err := s.web.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return nil, fmt.Errorf("GET %s: reading body: %w", path, err)
	}
	return resp, CheckStatus(resp, http.StatusOK)
}

// webSession signs the member of env in through the sign-in form, with a
// client that does not follow redirects, and returns the cookies it set as
// a Cookie header value.
func webSession(ctx context.Context, client *http.Client, env *Env) (string, error) {
	form := url.Values{"email": {env.Email}, "password": {env.Password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL("/signin"), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if err := CheckStatus(resp, http.StatusSeeOther, http.StatusFound); err != nil {
		return "", fmt.Errorf("signing in on the web: %w", err)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	if len(parts) == 0 {
		return "", errors.New("signing in on the web set no cookie")
	}
	return strings.Join(parts, "; "), nil
}
