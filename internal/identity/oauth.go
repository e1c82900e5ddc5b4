package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/uptrace/bun"
	"golang.org/x/oauth2"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// DefaultGoogleIssuer is Google's OpenID Connect issuer.
const DefaultGoogleIssuer = "https://accounts.google.com"

var errOAuthDisabled = httpx.NewProblem(http.StatusNotFound, "not_configured", "This sign-in method is not configured on this server.")

// googleOIDC discovers the issuer lazily (start-up never waits on the
// network) and caches it once discovery succeeds.
func (s *Service) googleOIDC(ctx context.Context) (*oidc.Provider, error) {
	if s.cfg.GoogleClientID == "" {
		return nil, errOAuthDisabled
	}
	s.oidcOnce.Lock()
	defer s.oidcOnce.Unlock()
	if s.oidcProvider != nil {
		return s.oidcProvider, nil
	}
	issuer := s.cfg.GoogleIssuer
	if issuer == "" {
		issuer = DefaultGoogleIssuer
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, issuer)
	if err != nil {
		s.log.Warn("Google sign-in: discovery failed", "issuer", issuer, "err", err)
		return nil, httpx.NewProblem(http.StatusServiceUnavailable, "provider_unavailable", "Google sign-in is unavailable right now; try again shortly.")
	}
	s.oidcProvider = p
	return p, nil
}

// GoogleAuthURL starts the web authorization code flow; state and nonce are
// kept by the caller (in a short-lived cookie) and checked on return.
func (s *Service) GoogleAuthURL(ctx context.Context, redirectURL, state, nonce string) (string, error) {
	p, err := s.googleOIDC(ctx)
	if err != nil {
		return "", err
	}
	return s.oauthConfig(p, redirectURL).AuthCodeURL(state, oidc.Nonce(nonce)), nil
}

func (s *Service) oauthConfig(p *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{ClientID: s.cfg.GoogleClientID, ClientSecret: s.cfg.GoogleClientSecret,
		Endpoint: p.Endpoint(), RedirectURL: redirectURL, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

var errGoogleToken = httpx.NewProblem(http.StatusUnauthorized, "oauth_invalid", "Google did not vouch for this sign-in.")

// GoogleExchange trades an authorization code for an ID token and signs in
// with it; nonce must match the one sent with the authorization request.
func (s *Service) GoogleExchange(ctx context.Context, code, redirectURL, nonce string, meta ClientMeta) (User, error) {
	p, err := s.googleOIDC(ctx)
	if err != nil {
		return User{}, err
	}
	tok, err := s.oauthConfig(p, redirectURL).Exchange(ctx, code)
	if err != nil {
		return User{}, errGoogleToken
	}
	raw, _ := tok.Extra("id_token").(string)
	return s.GoogleIDToken(ctx, raw, nonce, meta)
}

// GoogleIDToken verifies an ID token — signature, issuer, audience (our
// client ID), expiry and, when the request carries one, the nonce — and
// signs in the user it names, keyed by issuer and subject. An existing
// account is linked only through a verified email.
func (s *Service) GoogleIDToken(ctx context.Context, raw, nonce string, meta ClientMeta) (User, error) {
	p, err := s.googleOIDC(ctx)
	if err != nil {
		return User{}, err
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.cfg.GoogleClientID, Now: s.now}).Verify(ctx, raw)
	if err != nil {
		return User{}, errGoogleToken
	}
	if idt.Nonce != nonce {
		return User{}, httpx.NewProblem(http.StatusUnauthorized, "oauth_invalid", "The sign-in nonce does not match.")
	}
	var claims struct {
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	if err := idt.Claims(&claims); err != nil {
		return User{}, errGoogleToken
	}
	return s.externalSignIn(ctx, external{
		provider: idt.Issuer, subject: idt.Subject, email: claims.Email, emailVerified: claims.EmailVerified, name: claims.Name,
	}, meta)
}

// TelegramEnabled reports whether the Telegram Login Widget is configured.
func (s *Service) TelegramEnabled() bool { return s.cfg.TelegramBotToken != "" }

// TelegramSignIn checks Telegram Login Widget data and signs in the user
// keyed by Telegram id.
func (s *Service) TelegramSignIn(ctx context.Context, l TelegramLogin, meta ClientMeta) (User, error) {
	if !s.TelegramEnabled() {
		return User{}, errOAuthDisabled
	}
	if err := s.throttle.Check(ctx, "telegram", "", meta.IP); err != nil {
		return User{}, err
	}
	if err := VerifyTelegramLogin(s.cfg.TelegramBotToken, l, s.now()); err != nil {
		s.throttle.Fail(ctx, "telegram", "", meta.IP)
		if errors.Is(err, ErrTelegramExpired) {
			return User{}, httpx.NewProblem(http.StatusUnauthorized, "oauth_expired", "This Telegram sign-in is older than one hour; sign in again.")
		}
		return User{}, httpx.NewProblem(http.StatusUnauthorized, "oauth_invalid", "Telegram did not vouch for this sign-in.")
	}
	name := l.FirstName
	if l.LastName != "" {
		name += " " + l.LastName
	}
	if name == "" {
		name = l.Username
	}
	return s.externalSignIn(ctx, external{provider: "telegram", subject: strconv.FormatInt(l.ID, 10), name: name}, meta)
}

type external struct {
	provider, subject string
	email, name       string
	emailVerified     bool
}

// externalSignIn finds the user of an external identity, links it to an
// account with the same verified email, or creates a new account.
func (s *Service) externalSignIn(ctx context.Context, x external, meta ClientMeta) (User, error) {
	var link externalIdentity
	err := s.db.Read.NewSelect().Model(&link).Where("provider = ?", x.provider).Where("subject = ?", x.subject).Scan(ctx)
	if err == nil {
		return s.UserByID(ctx, link.UserID)
	}
	if err := db.MapError(err); !errors.Is(err, db.ErrNotFound) {
		return User{}, err
	}
	now := s.now().UTC()
	var u User
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		email, _ := NormalizeEmail(x.email)
		found := false
		if email != "" && x.emailVerified {
			err := tx.NewSelect().Model(&u).Where("email = ?", email).Scan(ctx)
			found = err == nil
		}
		if !found {
			name, err := CleanName("name", x.name, 100)
			if err != nil {
				name = "New user"
			}
			u = User{ID: db.NewID(), Name: name, CreatedAt: now, UpdatedAt: now}
			if x.emailVerified {
				u.Email, u.EmailVerified = email, email != ""
			}
			if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
				return err
			}
			if s.hooks.SignedUp != nil {
				if _, err := s.hooks.SignedUp(ctx, tx, u, "", ""); err != nil {
					return err
				}
			}
		}
		_, err := tx.NewInsert().Model(&externalIdentity{Provider: x.provider, Subject: x.subject, UserID: u.ID, Email: email, CreatedAt: now}).Exec(ctx)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("linking %s identity: %w", x.provider, err)
	}
	s.hooks.Audit(ctx, u.ID, "user.identity_linked", meta, map[string]any{"provider": x.provider})
	return u, nil
}
