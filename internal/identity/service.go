package identity

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/crypto"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
	"github.com/kite-crm/kite/internal/platform/mail"
)

// Config is what identity needs from the app configuration.
type Config struct {
	PublicURL string
	// Google sign-in; empty ClientID turns it off.
	GoogleClientID, GoogleClientSecret, GoogleIssuer string
	// Telegram Login Widget; empty token turns it off.
	TelegramBotToken, TelegramBotName string
	// HashConcurrency bounds simultaneous password hashes (0: one per CPU).
	HashConcurrency int
}

// Hooks let the organization layer take part in identity flows without an
// import cycle.
type Hooks struct {
	// SignedUp runs inside the sign-up transaction: it creates the new
	// user's organization or accepts an invitation, and returns what the
	// sign-up answer shows as "organization" (nil for none).
	SignedUp func(ctx context.Context, tx bun.Tx, u User, orgName, invitation string) (any, error)
	// Audit records a security event of a user (sign-in, MFA change…).
	Audit func(ctx context.Context, userID, action string, meta ClientMeta, details map[string]any)
}

// Service is the identity layer: accounts, passwords, sessions and tokens,
// MFA, password reset, and sign-in with Google and Telegram.
type Service struct {
	db        *db.DB
	keys      *crypto.Keyring
	accessKey []byte
	hasher    *Hasher
	throttle  *Throttle
	mail      mail.Sender
	cfg       Config
	log       *slog.Logger
	hooks     Hooks
	now       func() time.Time
	// oidcProvider is discovered on first use of Google sign-in.
	oidcOnce     sync.Mutex
	oidcProvider *oidc.Provider
	queue        *jobs.Queue
	reads        hotReads
}

// hotReads are the lookups every authenticated request makes, prepared
// once (db.Prepared): its session, with its user.
type hotReads struct {
	sessionByID, sessionByToken *db.Prepared
}

// sessionWithUser is a session read together with its user: one round
// trip instead of two.
type sessionWithUser struct {
	Session `bun:",extend"`
	User    *User `bun:"rel:belongs-to,join:user_id=id"`
}

func prepareHotReads(d *db.DB) hotReads {
	session := func(column string) *db.Prepared {
		return d.PrepareRead(func(q *bun.SelectQuery, p *db.Params) *bun.SelectQuery {
			return q.Model((*sessionWithUser)(nil)).Relation("User").Where("?TableAlias.? = ?", bun.Ident(column), p.Next())
		})
	}
	return hotReads{sessionByID: session("id"), sessionByToken: session("token_hash")}
}

// Token lifetimes.
const (
	AccessTTL  = 15 * time.Minute
	SessionTTL = 30 * 24 * time.Hour // absolute: a session never outlives this
	ResetTTL   = time.Hour
)

// NewService builds the identity service.
func NewService(d *db.DB, keys *crypto.Keyring, sender mail.Sender, cfg Config, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		db: d, keys: keys, accessKey: keys.Derive("kite access tokens v1"),
		hasher: NewHasher(cfg.HashConcurrency), throttle: NewThrottle(d),
		mail: sender, cfg: cfg, log: log, now: time.Now, reads: prepareHotReads(d),
	}
	s.hooks.Audit = func(context.Context, string, string, ClientMeta, map[string]any) {}
	return s
}

// SetHooks installs the organization layer's hooks.
func (s *Service) SetHooks(h Hooks) {
	if h.Audit == nil {
		h.Audit = s.hooks.Audit
	}
	s.hooks = h
}

// Config returns the identity configuration (which sign-in methods are on).
func (s *Service) Config() Config { return s.cfg }

// Errors with a documented code.
var (
	errBadCredentials = httpx.NewProblem(http.StatusUnauthorized, "invalid_credentials", "The email or password is wrong.")
	errMFARequired    = httpx.NewProblem(http.StatusUnauthorized, "mfa_required", "Enter the code from your authenticator app.")
	errMFAInvalid     = httpx.NewProblem(http.StatusUnauthorized, "mfa_invalid", "That code is not valid. Codes are usable once.")
	errEmailTaken     = httpx.NewProblem(http.StatusConflict, "email_taken", "An account with this email already exists. Sign in instead.")
	errUnauthorized   = httpx.NewProblem(http.StatusUnauthorized, "unauthenticated", "Sign in to continue.")
)

// Invalid turns a field error into a 422 problem naming the field.
func Invalid(err error) error {
	var fe *FieldError
	var pe *PasswordError
	switch {
	case errors.As(err, &fe):
		p := httpx.NewProblem(http.StatusUnprocessableEntity, "invalid", fe.Message)
		p.Errors = append(p.Errors, fieldDetail("body."+fe.Field, fe.Message))
		return p
	case errors.As(err, &pe):
		msg := pe.Error()
		p := httpx.NewProblem(http.StatusUnprocessableEntity, "weak_password", msg)
		p.Errors = append(p.Errors, fieldDetail("body.password", msg))
		return p
	}
	return err
}

// SignUpInput is what a person gives to create an account.
type SignUpInput struct {
	Email, Password, Name string
	OrganizationName      string // optional: creates an organization
	Invitation            string // optional: an invitation token to accept
}

// SignUp creates an account (and, through the hook, its organization) and
// returns the user and what the hook returned.
func (s *Service) SignUp(ctx context.Context, in SignUpInput, meta ClientMeta) (User, any, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, nil, Invalid(err)
	}
	name, err := CleanName("name", in.Name, 100)
	if err != nil {
		return User{}, nil, Invalid(err)
	}
	if err := CheckPassword(in.Password); err != nil {
		return User{}, nil, Invalid(err)
	}
	hash, err := s.hasher.Hash(ctx, in.Password)
	if err != nil {
		return User{}, nil, err
	}
	now := s.now().UTC()
	u := User{ID: db.NewID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	var org any
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&u).Exec(ctx); err != nil {
			return err
		}
		if s.hooks.SignedUp == nil {
			return nil
		}
		org, err = s.hooks.SignedUp(ctx, tx, u, in.OrganizationName, in.Invitation)
		return err
	})
	if errors.Is(err, db.ErrConflict) {
		return User{}, nil, errEmailTaken
	}
	if err != nil {
		return User{}, nil, err
	}
	s.hooks.Audit(ctx, u.ID, "user.signed_up", meta, nil)
	return u, org, nil
}

// SignIn checks an email, password and (when MFA is on) a TOTP or recovery
// code. Unknown emails and wrong passwords get the same answer in about the
// same time. Attempts are throttled by account and address.
func (s *Service) SignIn(ctx context.Context, email, password, code string, meta ClientMeta) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.throttle.Check(ctx, "signin", email, meta.IP); err != nil {
		return User{}, err
	}
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) || (err == nil && !u.HasPassword()) {
		s.hasher.DummyVerify(ctx)
		s.throttle.Fail(ctx, "signin", email, meta.IP)
		return User{}, errBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	ok, err := s.hasher.Verify(ctx, u.PasswordHash, password)
	if err != nil && !errors.Is(err, ErrMalformedHash) {
		return User{}, err
	}
	if !ok {
		s.throttle.Fail(ctx, "signin", email, meta.IP)
		s.hooks.Audit(ctx, u.ID, "user.sign_in_failed", meta, nil)
		return User{}, errBadCredentials
	}
	if err := s.SecondFactor(ctx, &u, code, meta); err != nil {
		return User{}, err
	}
	s.throttle.Reset(ctx, "signin", email)
	if NeedsRehash(u.PasswordHash) {
		s.setPassword(ctx, u.ID, password)
	}
	return u, nil
}

// UserByEmail finds a user by (normalized) email.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.Read.NewSelect().Model(&u).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).Scan(ctx)
	return u, db.MapError(err)
}

// UserByID finds a user.
func (s *Service) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := s.db.Read.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
	return u, db.MapError(err)
}

// UsersByID loads several users at once (no N+1 for member lists).
func (s *Service) UsersByID(ctx context.Context, ids []string) (map[string]User, error) {
	out := map[string]User{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []User
	if err := s.db.Read.NewSelect().Model(&users).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}

// UpdateProfile changes the user's display name.
func (s *Service) UpdateProfile(ctx context.Context, userID, name string) (User, error) {
	clean, err := CleanName("name", name, 100)
	if err != nil {
		return User{}, Invalid(err)
	}
	_, err = s.db.NewUpdate().Model((*User)(nil)).Set("name = ?", clean).Set("updated_at = ?", s.now().UTC()).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}

// ChangePassword sets a new password after checking the current one, and
// ends every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, userID, keepSession, current, next string, meta ClientMeta) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.HasPassword() {
		if err := s.throttle.Check(ctx, "password", u.ID, meta.IP); err != nil {
			return err
		}
		ok, _ := s.hasher.Verify(ctx, u.PasswordHash, current)
		if !ok {
			s.throttle.Fail(ctx, "password", u.ID, meta.IP)
			p := httpx.NewProblem(http.StatusUnprocessableEntity, "invalid", "The current password is wrong.")
			p.Errors = append(p.Errors, fieldDetail("body.current_password", "The current password is wrong."))
			return p
		}
	}
	if err := CheckPassword(next); err != nil {
		return Invalid(err)
	}
	if err := s.setPassword(ctx, userID, next); err != nil {
		return err
	}
	if err := s.RevokeOtherSessions(ctx, userID, keepSession); err != nil {
		return err
	}
	s.hooks.Audit(ctx, userID, "user.password_changed", meta, nil)
	return nil
}

func (s *Service) setPassword(ctx context.Context, userID, pw string) error {
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return err
	}
	_, err = s.db.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", s.now().UTC()).
		Where("id = ?", userID).Exec(ctx)
	return err
}
