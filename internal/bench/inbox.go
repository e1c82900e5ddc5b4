package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
)

// The inbox read scenarios load the chat list and the unread counts of an
// organization seeded with `kite seed -chats N`, as one of its members
// (-email and -password; the seed prints the owner's).

// memberToken signs in the seeded member and returns an access token.
func memberToken(ctx context.Context, env *Env) (string, error) {
	if env.Email == "" || env.Password == "" {
		return "", errors.New("needs -email and -password of a seeded member (kite seed prints the owner's)")
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := postJSON(ctx, env, "/api/v1/auth/signin", map[string]string{"email": env.Email, "password": env.Password}, http.StatusOK, &out); err != nil {
		return "", fmt.Errorf("signing in %s: %w", env.Email, err)
	}
	return out.AccessToken, nil
}

// chatListPaths are the chat list views an inbox opens: everything, the
// open chats, the unassigned ones and the closed ones.
var chatListPaths = []string{"/api/v1/chats?limit=50", "/api/v1/chats?limit=50&status=open",
	"/api/v1/chats?limit=50&assignee_id=none", "/api/v1/chats?limit=50&status=closed"}

// asMember is the sign-in of the inbox scenarios: Setup signs the seeded
// member in once.
type asMember struct{ token string }

// Setup signs the member in.
func (m *asMember) Setup(ctx context.Context, env *Env) (err error) {
	m.token, err = memberToken(ctx, env)
	return err
}

// get loads path as the member and expects 200.
func (m *asMember) get(ctx context.Context, client *http.Client, env *Env, path string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.URL(path), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	return Call(client, req, http.StatusOK)
}

// ChatsList loads the first page of the chat list in turn of its views.
type ChatsList struct {
	asMember
	n atomic.Int64
}

// NewChatsList returns the chats-list scenario.
func NewChatsList() *ChatsList { return &ChatsList{} }

// Name returns "chats-list".
func (*ChatsList) Name() string { return "chats-list" }

// Description says what chats-list loads.
func (*ChatsList) Description() string {
	return "GET /api/v1/chats?limit=50 (all, open, unassigned, closed in turn) with the caller's unread counts (needs -email, -password)"
}

// Do loads the next view's first page and expects 200.
func (s *ChatsList) Do(ctx context.Context, client *http.Client, env *Env) error {
	return s.get(ctx, client, env, chatListPaths[int(s.n.Add(1))%len(chatListPaths)])
}

// ChatsUnread reads the member's unread counts.
type ChatsUnread struct{ asMember }

// NewChatsUnread returns the chats-unread scenario.
func NewChatsUnread() *ChatsUnread { return &ChatsUnread{} }

// Name returns "chats-unread".
func (*ChatsUnread) Name() string { return "chats-unread" }

// Description says what chats-unread loads.
func (*ChatsUnread) Description() string {
	return "GET /api/v1/chats/unread: the member's unread total and per-chat counts (needs -email, -password)"
}

// Do reads the counts and expects 200.
func (s *ChatsUnread) Do(ctx context.Context, client *http.Client, env *Env) error {
	return s.get(ctx, client, env, "/api/v1/chats/unread")
}
