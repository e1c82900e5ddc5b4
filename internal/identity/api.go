package identity

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/platform/httpx"
)

// The /auth endpoints of API.md ("Identity").

type tokensOutput struct{ Body Tokens }

type signUpBody struct {
	Email            string `json:"email" maxLength:"254" doc:"Sign-in email, unique"`
	Password         string `json:"password" maxLength:"1024" doc:"8–128 characters, not a common password"`
	Name             string `json:"name" maxLength:"200"`
	OrganizationName string `json:"organization_name,omitempty" maxLength:"200" doc:"Creates an organization with the new user as owner"`
	InvitationToken  string `json:"invitation_token,omitempty" maxLength:"200" doc:"Joins the inviting organization"`
}

// SignUpResult is the sign-up answer.
type SignUpResult struct {
	User         User `json:"user"`
	Organization any  `json:"organization,omitempty"`
	Tokens
}

type signInBody struct {
	Email    string `json:"email" maxLength:"254"`
	Password string `json:"password" maxLength:"1024"`
	TOTPCode string `json:"totp_code,omitempty" maxLength:"64" doc:"TOTP code or recovery code when MFA is on"`
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token" maxLength:"200"`
}

type googleBody struct {
	TOTPCode    string `json:"totp_code,omitempty" maxLength:"64" doc:"TOTP or recovery code when the account has MFA on"`
	IDToken     string `json:"id_token,omitempty" maxLength:"8192"`
	Nonce       string `json:"nonce,omitempty" maxLength:"200"`
	Code        string `json:"code,omitempty" maxLength:"2048"`
	RedirectURI string `json:"redirect_uri,omitempty" maxLength:"2048"`
}

// telegramBody is the Login Widget's fields, plus the second factor.
type telegramBody struct {
	TelegramLogin
	TOTPCode string `json:"totp_code,omitempty" maxLength:"64" doc:"TOTP or recovery code when the account has MFA on"`
}

type emailBody struct {
	Email string `json:"email" maxLength:"254"`
}

type resetBody struct {
	Token    string `json:"token" maxLength:"200"`
	Password string `json:"password" maxLength:"1024"`
}

type codeBody struct {
	Code string `json:"code" maxLength:"64"`
}

// RegisterAPI adds the /auth routes.
func (s *Service) RegisterAPI(api huma.API) {
	tag := []string{"Authentication"}
	user := huma.Middlewares{s.RequireUser(api)}
	meta := func(ctx context.Context) ClientMeta { return RequestMeta(ctx) }

	huma.Register(api, huma.Operation{OperationID: "signup", Method: http.MethodPost, Path: "/auth/signup",
		Summary: "Create an account", DefaultStatus: http.StatusCreated, Tags: tag},
		func(ctx context.Context, in *struct{ Body signUpBody }) (*struct{ Body SignUpResult }, error) {
			u, org, err := s.SignUp(ctx, SignUpInput{Email: in.Body.Email, Password: in.Body.Password, Name: in.Body.Name,
				OrganizationName: in.Body.OrganizationName, Invitation: in.Body.InvitationToken}, meta(ctx))
			if err != nil {
				return nil, err
			}
			t, err := s.StartAPISession(ctx, u, meta(ctx))
			if err != nil {
				return nil, err
			}
			return &struct{ Body SignUpResult }{SignUpResult{User: u, Organization: org, Tokens: t}}, nil
		})

	huma.Register(api, huma.Operation{OperationID: "signin", Method: http.MethodPost, Path: "/auth/signin",
		Summary: "Sign in with email and password", Tags: tag,
		Description: "Answers 401 `invalid_credentials` for a wrong email or password alike; with MFA on, 401 `mfa_required` or `mfa_invalid`; 429 with Retry-After when throttled."},
		func(ctx context.Context, in *struct{ Body signInBody }) (*tokensOutput, error) {
			u, err := s.SignIn(ctx, in.Body.Email, in.Body.Password, in.Body.TOTPCode, meta(ctx))
			if err != nil {
				return nil, err
			}
			t, err := s.StartAPISession(ctx, u, meta(ctx))
			return &tokensOutput{t}, err
		})

	huma.Register(api, huma.Operation{OperationID: "refresh", Method: http.MethodPost, Path: "/auth/refresh",
		Summary: "Trade a refresh token for a new pair", Tags: tag,
		Description: "The old refresh token is spent. Presenting a spent token answers 401 `refresh_reused` and revokes the whole session."},
		func(ctx context.Context, in *struct{ Body refreshBody }) (*tokensOutput, error) {
			t, err := s.Refresh(ctx, in.Body.RefreshToken)
			return &tokensOutput{t}, err
		})

	huma.Register(api, huma.Operation{OperationID: "logout", Method: http.MethodPost, Path: "/auth/logout",
		Summary: "End the session of a refresh token", DefaultStatus: http.StatusNoContent, Tags: tag},
		func(ctx context.Context, in *struct{ Body refreshBody }) (*struct{}, error) {
			return nil, s.Logout(ctx, in.Body.RefreshToken, meta(ctx))
		})

	huma.Register(api, huma.Operation{OperationID: "signin-google", Method: http.MethodPost, Path: "/auth/oauth/google",
		Summary: "Sign in with a Google ID token or authorization code", Tags: tag},
		func(ctx context.Context, in *struct{ Body googleBody }) (*tokensOutput, error) {
			var u User
			var err error
			switch {
			case in.Body.IDToken != "":
				u, err = s.GoogleIDToken(ctx, in.Body.IDToken, in.Body.Nonce, meta(ctx))
			case in.Body.Code != "" && in.Body.RedirectURI != "":
				u, err = s.GoogleExchange(ctx, in.Body.Code, in.Body.RedirectURI, in.Body.Nonce, meta(ctx))
			default:
				err = httpx.NewProblem(http.StatusUnprocessableEntity, "invalid", "Send id_token, or code with redirect_uri.")
			}
			if err == nil {
				err = s.SecondFactor(ctx, &u, in.Body.TOTPCode, meta(ctx))
			}
			if err != nil {
				return nil, err
			}
			t, err := s.StartAPISession(ctx, u, meta(ctx))
			return &tokensOutput{t}, err
		})

	huma.Register(api, huma.Operation{OperationID: "signin-telegram", Method: http.MethodPost, Path: "/auth/oauth/telegram",
		Summary: "Sign in with Telegram Login Widget data", Tags: tag},
		func(ctx context.Context, in *struct{ Body telegramBody }) (*tokensOutput, error) {
			u, err := s.TelegramSignIn(ctx, in.Body.TelegramLogin, meta(ctx))
			if err == nil {
				err = s.SecondFactor(ctx, &u, in.Body.TOTPCode, meta(ctx))
			}
			if err != nil {
				return nil, err
			}
			t, err := s.StartAPISession(ctx, u, meta(ctx))
			return &tokensOutput{t}, err
		})

	huma.Register(api, huma.Operation{OperationID: "password-forgot", Method: http.MethodPost, Path: "/auth/password/forgot",
		Summary: "Mail a password reset link", DefaultStatus: http.StatusAccepted, Tags: tag,
		Description: "Always 202, whether or not the email has an account."},
		func(ctx context.Context, in *struct{ Body emailBody }) (*struct{}, error) {
			return nil, s.ForgotPassword(ctx, in.Body.Email, meta(ctx))
		})

	huma.Register(api, huma.Operation{OperationID: "password-reset", Method: http.MethodPost, Path: "/auth/password/reset",
		Summary: "Set a new password with a reset token", DefaultStatus: http.StatusNoContent, Tags: tag},
		func(ctx context.Context, in *struct{ Body resetBody }) (*struct{}, error) {
			return nil, s.ResetPassword(ctx, in.Body.Token, in.Body.Password, meta(ctx))
		})

	huma.Register(api, huma.Operation{OperationID: "mfa-setup", Method: http.MethodPost, Path: "/auth/mfa/totp/setup",
		Summary: "Start TOTP setup", Tags: tag, Middlewares: user},
		func(ctx context.Context, _ *struct{}) (*struct{ Body TOTPSetup }, error) {
			p, _ := PrincipalFrom(ctx)
			setup, err := s.SetupTOTP(ctx, p.User.ID)
			return &struct{ Body TOTPSetup }{setup}, err
		})

	huma.Register(api, huma.Operation{OperationID: "mfa-enable", Method: http.MethodPost, Path: "/auth/mfa/totp/enable",
		Summary: "Turn TOTP on with a first code", Tags: tag, Middlewares: user},
		func(ctx context.Context, in *struct{ Body codeBody }) (*struct {
			Body struct {
				RecoveryCodes []string `json:"recovery_codes"`
			}
		}, error) {
			p, _ := PrincipalFrom(ctx)
			codes, err := s.EnableTOTP(ctx, p.User.ID, in.Body.Code, meta(ctx))
			if err != nil {
				return nil, err
			}
			out := &struct {
				Body struct {
					RecoveryCodes []string `json:"recovery_codes"`
				}
			}{}
			out.Body.RecoveryCodes = codes
			return out, nil
		})

	huma.Register(api, huma.Operation{OperationID: "mfa-disable", Method: http.MethodPost, Path: "/auth/mfa/totp/disable",
		Summary: "Turn TOTP off", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: user},
		func(ctx context.Context, in *struct{ Body codeBody }) (*struct{}, error) {
			p, _ := PrincipalFrom(ctx)
			return nil, s.DisableTOTP(ctx, p.User.ID, in.Body.Code, meta(ctx))
		})

	huma.Register(api, huma.Operation{OperationID: "list-sessions", Method: http.MethodGet, Path: "/auth/sessions",
		Summary: "The caller's open sessions", Tags: tag, Middlewares: user},
		func(ctx context.Context, _ *struct{}) (*struct{ Body httpx.Page[SessionView] }, error) {
			p, _ := PrincipalFrom(ctx)
			list, err := s.Sessions(ctx, p.User.ID)
			if err != nil {
				return nil, err
			}
			out := &struct{ Body httpx.Page[SessionView] }{httpx.Page[SessionView]{Items: []SessionView{}}}
			for _, sess := range list {
				out.Body.Items = append(out.Body.Items, viewSession(sess, p.Session.ID))
			}
			return out, nil
		})

	huma.Register(api, huma.Operation{OperationID: "end-session", Method: http.MethodDelete, Path: "/auth/sessions/{id}",
		Summary: "End one of the caller's sessions", DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: user},
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64"`
		}) (*struct{}, error) {
			p, _ := PrincipalFrom(ctx)
			return nil, httpx.APIError(ctx, s.log, s.RevokeSession(ctx, p.User.ID, in.ID, meta(ctx)))
		})
}

// SessionView is a session as its owner sees it.
type SessionView struct {
	Session
	Current bool `json:"current"`
}

func viewSession(s Session, current string) SessionView {
	return SessionView{Session: s, Current: s.ID == current}
}

type metaKey struct{}

// WithMeta stores the client description in a context (done by the HTTP
// layer for every request).
func WithMeta(ctx context.Context, m ClientMeta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// RequestMeta returns the client description stored by WithMeta.
func RequestMeta(ctx context.Context) ClientMeta {
	m, _ := ctx.Value(metaKey{}).(ClientMeta)
	return m
}
