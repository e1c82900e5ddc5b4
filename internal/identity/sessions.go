package identity

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// Tokens is what an API client receives at sign-in and refresh.
type Tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires"`
}

// lastSeenEvery limits how often a request refreshes a session's
// last-seen time: a write per request would be waste.
const lastSeenEvery = time.Minute

var errRefreshReused = httpx.NewProblem(http.StatusUnauthorized, "refresh_reused",
	"This refresh token was already used. Every token of this session has been revoked; sign in again.")

func fieldDetail(location, msg string) *huma.ErrorDetail {
	return &huma.ErrorDetail{Location: location, Message: msg}
}

func (s *Service) newSession(u User, kind string, meta ClientMeta) Session {
	now := s.now().UTC()
	return Session{ID: db.NewID(), UserID: u.ID, Kind: kind, IP: meta.IP, UserAgent: truncate(meta.UserAgent, 300),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionTTL)}
}

// StartAPISession opens a session for an API client and returns its first
// access and refresh tokens.
func (s *Service) StartAPISession(ctx context.Context, u User, meta ClientMeta) (Tokens, error) {
	sess := s.newSession(u, SessionAPI, meta)
	refresh, refreshHash := RandomToken("")
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&sess).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&refreshToken{TokenHash: refreshHash, SessionID: sess.ID, CreatedAt: sess.CreatedAt}).Exec(ctx)
		return err
	})
	if err != nil {
		return Tokens{}, err
	}
	s.hooks.Audit(ctx, u.ID, "user.signed_in", meta, map[string]any{"session": sess.ID, "kind": SessionAPI})
	return s.tokens(u.ID, sess.ID, refresh)
}

func (s *Service) tokens(userID, sessionID, refresh string) (Tokens, error) {
	access, err := SignAccessToken(s.accessKey, userID, sessionID, s.now(), AccessTTL)
	if err != nil {
		return Tokens{}, err
	}
	return Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(AccessTTL / time.Second)}, nil
}

// Refresh spends a refresh token and returns a new pair in the same session.
// A token that was already spent means it leaked: the whole session (every
// token of its family) is revoked and the answer is refresh_reused.
func (s *Service) Refresh(ctx context.Context, token string) (Tokens, error) {
	hash := HashToken(token)
	now := s.now().UTC()
	var userID, sessionID, next string
	reused := false
	err := s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var rt refreshToken
		if err := tx.NewSelect().Model(&rt).Where("token_hash = ?", hash).Scan(ctx); err != nil {
			return err
		}
		var sess Session
		if err := tx.NewSelect().Model(&sess).Where("id = ?", rt.SessionID).Scan(ctx); err != nil {
			return err
		}
		if !sess.Active(now) {
			return db.ErrNotFound
		}
		// Spend the token only if it is unspent: of two concurrent refreshes
		// with one token, exactly one wins.
		res, err := tx.NewUpdate().Model((*refreshToken)(nil)).Set("spent_at = ?", now).
			Where("token_hash = ?", hash).Where("spent_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			reused = true
			_, err := tx.NewUpdate().Model((*Session)(nil)).Set("revoked_at = ?", now).Where("id = ?", sess.ID).Exec(ctx)
			return err
		}
		var nextHash string
		next, nextHash = RandomToken("")
		userID, sessionID = sess.UserID, sess.ID
		if _, err := tx.NewInsert().Model(&refreshToken{TokenHash: nextHash, SessionID: sess.ID, CreatedAt: now}).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).Where("id = ?", sess.ID).Exec(ctx)
		return err
	})
	switch {
	case errors.Is(err, db.ErrNotFound):
		return Tokens{}, httpx.NewProblem(http.StatusUnauthorized, "refresh_invalid", "This refresh token is not valid; sign in again.")
	case err != nil:
		return Tokens{}, err
	case reused:
		return Tokens{}, errRefreshReused
	}
	return s.tokens(userID, sessionID, next)
}

// Logout ends the session a refresh token belongs to. Unknown tokens are
// ignored: logging out twice is harmless.
func (s *Service) Logout(ctx context.Context, token string, meta ClientMeta) error {
	var rt refreshToken
	err := s.db.Read.NewSelect().Model(&rt).Where("token_hash = ?", HashToken(token)).Scan(ctx)
	if err := db.MapError(err); errors.Is(err, db.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return s.endSession(ctx, rt.SessionID, meta)
}

func (s *Service) endSession(ctx context.Context, sessionID string, meta ClientMeta) error {
	var sess Session
	if err := s.db.NewSelect().Model(&sess).Where("id = ?", sessionID).Scan(ctx); err != nil {
		return db.MapError(err)
	}
	_, err := s.db.NewUpdate().Model((*Session)(nil)).Set("revoked_at = ?", s.now().UTC()).
		Where("id = ?", sessionID).Where("revoked_at IS NULL").Exec(ctx)
	if err == nil {
		s.hooks.Audit(ctx, sess.UserID, "user.signed_out", meta, map[string]any{"session": sessionID})
	}
	return err
}

// StartWebSession opens a browser session and returns the cookie token.
func (s *Service) StartWebSession(ctx context.Context, u User, meta ClientMeta) (string, Session, error) {
	sess := s.newSession(u, SessionWeb, meta)
	token, hash := RandomToken("")
	sess.TokenHash = hash
	if _, err := s.db.NewInsert().Model(&sess).Exec(ctx); err != nil {
		return "", Session{}, err
	}
	s.hooks.Audit(ctx, u.ID, "user.signed_in", meta, map[string]any{"session": sess.ID, "kind": SessionWeb})
	return token, sess, nil
}

// EndWebSession signs a browser out server-side.
func (s *Service) EndWebSession(ctx context.Context, token string, meta ClientMeta) error {
	var sess Session
	err := s.db.Read.NewSelect().Model(&sess).Where("token_hash = ?", HashToken(token)).Scan(ctx)
	if err != nil {
		return nil // nothing to end
	}
	return s.endSession(ctx, sess.ID, meta)
}

// Principal is an authenticated user and the session they act through.
type Principal struct {
	User    User
	Session Session
}

// AuthenticateAccessToken checks a JWT access token and that its session is
// still open (so sign-out and revocation take effect at once).
func (s *Service) AuthenticateAccessToken(ctx context.Context, token string) (Principal, error) {
	claims, err := ParseAccessToken(s.accessKey, token, s.now())
	if err != nil {
		if errors.Is(err, ErrTokenExpired) {
			return Principal{}, httpx.NewProblem(http.StatusUnauthorized, "token_expired", "The access token expired; refresh it.")
		}
		return Principal{}, httpx.NewProblem(http.StatusUnauthorized, "token_invalid", "The access token is not valid.")
	}
	return s.principal(ctx, s.reads.sessionByID, claims.SessionID, claims.UserID)
}

// AuthenticateWebSession checks a browser's session cookie token.
func (s *Service) AuthenticateWebSession(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, errUnauthorized
	}
	return s.principal(ctx, s.reads.sessionByToken, HashToken(token), "")
}

func (s *Service) principal(ctx context.Context, lookup *db.Prepared, arg any, wantUser string) (Principal, error) {
	var found sessionWithUser
	if err := lookup.Scan(ctx, &found, arg); err != nil || found.User == nil {
		return Principal{}, errUnauthorized
	}
	sess, u := found.Session, *found.User
	now := s.now().UTC()
	if !sess.Active(now) || (wantUser != "" && sess.UserID != wantUser) {
		return Principal{}, errUnauthorized
	}
	if now.Sub(sess.LastSeenAt) > lastSeenEvery {
		s.db.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).Where("id = ?", sess.ID).Exec(ctx)
	}
	return Principal{User: u, Session: sess}, nil
}

// Sessions lists a user's open sessions, most recently seen first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]Session, error) {
	var out []Session
	err := s.db.Read.NewSelect().Model(&out).Where("user_id = ?", userID).Where("revoked_at IS NULL").
		Where("expires_at > ?", s.now().UTC()).OrderExpr("last_seen_at DESC").Limit(200).Scan(ctx)
	return out, err
}

// RevokeSession ends one of the user's own sessions; another user's session
// is "not found".
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string, meta ClientMeta) error {
	var sess Session
	err := s.db.Read.NewSelect().Model(&sess).Where("id = ?", sessionID).Where("user_id = ?", userID).
		Where("revoked_at IS NULL").Scan(ctx)
	if err != nil {
		return db.MapError(err)
	}
	return s.endSession(ctx, sessionID, meta)
}

// RevokeOtherSessions ends every session of the user except keep.
func (s *Service) RevokeOtherSessions(ctx context.Context, userID, keep string) error {
	_, err := s.db.NewUpdate().Model((*Session)(nil)).Set("revoked_at = ?", s.now().UTC()).
		Where("user_id = ?", userID).Where("id <> ?", keep).Where("revoked_at IS NULL").Exec(ctx)
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
