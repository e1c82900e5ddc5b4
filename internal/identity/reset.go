package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/httpx"
	"github.com/kite-crm/kite/internal/platform/jobs"
	"github.com/kite-crm/kite/internal/platform/mail"
)

// Mail is sent by a job, enqueued in the transaction that decides to send
// it: requests never wait on SMTP, and a failed send is retried.

type mailArgs struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

func (mailArgs) Kind() string { return "identity.mail" }

type mailWorker struct {
	river.WorkerDefaults[mailArgs]
	s *Service
}

func (w *mailWorker) Work(ctx context.Context, job *river.Job[mailArgs]) error {
	err := w.s.mail.Send(ctx, mail.Message{To: job.Args.To, Subject: job.Args.Subject, Text: job.Args.Text})
	if err != nil && !mail.IsTemporary(err) {
		return river.JobCancel(err) // a bad address will not get better
	}
	return err
}

type pruneThrottleArgs struct{}

func (pruneThrottleArgs) Kind() string { return "identity.prune_throttle" }

// Register adds identity's jobs: mail delivery and pruning of old
// throttling rows.
func (s *Service) Register(reg *jobs.Registry) {
	jobs.Register(reg, &mailWorker{s: s})
	jobs.Register(reg, river.WorkFunc(func(ctx context.Context, _ *river.Job[pruneThrottleArgs]) error {
		return s.throttle.Prune(ctx)
	}))
	reg.Every(10*time.Minute, func() river.JobArgs { return pruneThrottleArgs{} })
}

// UseQueue binds the job queue mail is sent through.
func (s *Service) UseQueue(q *jobs.Queue) { s.queue = q }

// SendMail enqueues a mail inside tx.
func (s *Service) SendMail(ctx context.Context, tx bun.Tx, to, subject, text string) error {
	return s.queue.Enqueue(ctx, tx, mailArgs{To: to, Subject: subject, Text: text}, &river.InsertOpts{MaxAttempts: 8})
}

// Link builds an absolute link into Kite for mails.
func (s *Service) Link(path string, query url.Values) string {
	u := s.cfg.PublicURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// ForgotPassword mails a single-use reset link valid for one hour, when the
// email belongs to an account. The caller answers the same either way.
func (s *Service) ForgotPassword(ctx context.Context, email string, meta ClientMeta) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Invalid(err)
	}
	if err := s.throttle.Check(ctx, "reset", email, meta.IP); err != nil {
		return err
	}
	// Every request counts toward the limit: the endpoint sends mail.
	s.throttle.Fail(ctx, "reset", email, meta.IP)
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	token, hash := RandomToken("")
	now := s.now().UTC()
	link := s.Link("/reset-password", url.Values{"token": {token}})
	return s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&passwordReset{TokenHash: hash, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}).Exec(ctx)
		if err != nil {
			return err
		}
		return s.SendMail(ctx, tx, u.Email, "Reset your Kite password", fmt.Sprintf(
			"Hello %s,\n\nSomeone (hopefully you) asked to reset the password of your Kite account.\n"+
				"Open this link within one hour to choose a new one:\n\n%s\n\n"+
				"If you did not ask for this, ignore this mail; your password stays as it is.\n", u.Name, link))
	})
}

var errResetInvalid = httpx.NewProblem(http.StatusBadRequest, "reset_invalid",
	"This reset link is not valid any more. Links work once, for one hour; ask for a new one.")

// ResetPassword sets a new password with a reset token (once, within the
// hour) and ends every session of the user. It does not sign in: a user
// with MFA still needs their second factor.
func (s *Service) ResetPassword(ctx context.Context, token, password string, meta ClientMeta) error {
	if err := CheckPassword(password); err != nil {
		return Invalid(err)
	}
	hash, err := s.hasher.Hash(ctx, password)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	var userID string
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r passwordReset
		err := tx.NewSelect().Model(&r).Where("token_hash = ?", HashToken(token)).Scan(ctx)
		if err != nil || r.UsedAt != nil || now.After(r.ExpiresAt) {
			return errResetInvalid
		}
		userID = r.UserID
		res, err := tx.NewUpdate().Model((*passwordReset)(nil)).Set("used_at = ?", now).
			Where("token_hash = ?", r.TokenHash).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errResetInvalid // a concurrent request used it first
		}
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", now).
			Where("id = ?", r.UserID).Exec(ctx); err != nil {
			return err
		}
		_, err = tx.NewUpdate().Model((*Session)(nil)).Set("revoked_at = ?", now).
			Where("user_id = ?", r.UserID).Where("revoked_at IS NULL").Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	s.hooks.Audit(ctx, userID, "user.password_reset", meta, nil)
	return nil
}
