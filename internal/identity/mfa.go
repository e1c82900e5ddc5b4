package identity

import (
	"context"
	"net/http"
	"strings"

	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// TOTPSetup is what a person needs to add Kite to an authenticator app.
type TOTPSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

func totpContext(userID string) string { return "user:" + userID + ":totp" }

// SetupTOTP creates a new pending secret; MFA is on only after EnableTOTP
// proves the app has it.
func (s *Service) SetupTOTP(ctx context.Context, userID string) (TOTPSetup, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return TOTPSetup{}, err
	}
	if u.MFAEnabled() {
		return TOTPSetup{}, httpx.NewProblem(http.StatusConflict, "mfa_enabled", "Two-factor authentication is already on; turn it off first to set up a new app.")
	}
	account := u.Email
	if account == "" {
		account = u.Name
	}
	key, err := NewTOTPKey("Kite", account)
	if err != nil {
		return TOTPSetup{}, err
	}
	_, err = s.db.NewUpdate().Model((*User)(nil)).Set("totp_pending = ?", s.keys.Seal(key.Secret(), totpContext(userID))).
		Where("id = ?", userID).Exec(ctx)
	if err != nil {
		return TOTPSetup{}, err
	}
	return TOTPSetup{Secret: key.Secret(), OTPAuthURL: key.URL()}, nil
}

// PendingTOTP returns the secret being set up, for the QR code.
func (s *Service) PendingTOTP(ctx context.Context, userID string) (string, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return "", err
	}
	if u.TOTPPending == "" {
		return "", httpx.NewProblem(http.StatusConflict, "mfa_not_started", "Start the setup first.")
	}
	return s.keys.Open(u.TOTPPending, totpContext(userID))
}

// EnableTOTP turns MFA on when code matches the pending secret, and returns
// ten recovery codes, shown once (only their hashes are stored).
func (s *Service) EnableTOTP(ctx context.Context, userID, code string, meta ClientMeta) ([]string, error) {
	secret, err := s.PendingTOTP(ctx, userID)
	if err != nil {
		return nil, err
	}
	step, ok := ValidateTOTP(secret, code, s.now(), 0)
	if !ok {
		return nil, errMFAInvalid
	}
	codes, hashes, err := NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*User)(nil)).
			Set("totp_secret = totp_pending").Set("totp_pending = NULL").Set("totp_last_step = ?", step).
			Set("updated_at = ?", s.now().UTC()).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, hashes)
	})
	if err != nil {
		return nil, err
	}
	s.hooks.Audit(ctx, userID, "user.mfa_enabled", meta, nil)
	return codes, nil
}

func replaceRecoveryCodes(ctx context.Context, tx bun.Tx, userID string, hashes []string) error {
	if _, err := tx.NewDelete().Model((*recoveryCode)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return err
	}
	if len(hashes) == 0 {
		return nil
	}
	rows := make([]recoveryCode, len(hashes))
	for i, h := range hashes {
		rows[i] = recoveryCode{UserID: userID, CodeHash: h}
	}
	_, err := tx.NewInsert().Model(&rows).Exec(ctx)
	return err
}

// DisableTOTP turns MFA off after a valid TOTP or recovery code.
func (s *Service) DisableTOTP(ctx context.Context, userID, code string, meta ClientMeta) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !u.MFAEnabled() {
		return httpx.NewProblem(http.StatusConflict, "mfa_disabled", "Two-factor authentication is not on.")
	}
	if err := s.checkSecondFactor(ctx, &u, code, meta); err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewUpdate().Model((*User)(nil)).Set("totp_secret = NULL").Set("totp_pending = NULL").
			Set("updated_at = ?", s.now().UTC()).Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		return replaceRecoveryCodes(ctx, tx, userID, nil)
	})
	if err == nil {
		s.hooks.Audit(ctx, userID, "user.mfa_disabled", meta, nil)
	}
	return err
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID string) (int64, error) {
	return s.db.Read.NewSelect().Model((*recoveryCode)(nil)).Where("user_id = ?", userID).Where("used_at IS NULL").Count(ctx)
}

// checkSecondFactor accepts a TOTP code (each usable once: its time step
// must be newer than the last one used) or an unused recovery code.
// Failures are throttled like passwords.
func (s *Service) checkSecondFactor(ctx context.Context, u *User, code string, meta ClientMeta) error {
	if err := s.throttle.Check(ctx, "mfa", u.ID, meta.IP); err != nil {
		return err
	}
	secret, err := s.keys.Open(u.TOTPSecret, totpContext(u.ID))
	if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	if step, ok := ValidateTOTP(secret, code, s.now(), u.TOTPLastStep); ok {
		// Record the step only if no concurrent request used it first.
		res, err := s.db.NewUpdate().Model((*User)(nil)).Set("totp_last_step = ?", step).
			Where("id = ?", u.ID).Where("totp_last_step < ?", step).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			u.TOTPLastStep = step
			s.throttle.Reset(ctx, "mfa", u.ID)
			return nil
		}
	} else if len(code) > 6 {
		res, err := s.db.NewUpdate().Model((*recoveryCode)(nil)).Set("used_at = ?", s.now().UTC()).
			Where("user_id = ?", u.ID).Where("code_hash = ?", HashRecoveryCode(code)).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			s.hooks.Audit(ctx, u.ID, "user.recovery_code_used", meta, nil)
			s.throttle.Reset(ctx, "mfa", u.ID)
			return nil
		}
	}
	s.throttle.Fail(ctx, "mfa", u.ID, meta.IP)
	return errMFAInvalid
}

// SecondFactor asks a user with MFA on for a TOTP or recovery code: an
// empty code is mfa_required. Every sign-in method goes through it, so no
// method skips the second factor.
func (s *Service) SecondFactor(ctx context.Context, u *User, code string, meta ClientMeta) error {
	if !u.MFAEnabled() {
		return nil
	}
	if strings.TrimSpace(code) == "" {
		return errMFARequired
	}
	return s.checkSecondFactor(ctx, u, code, meta)
}
