package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/textproto"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpSender delivers through the SMTP server of a Config, one connection
// per message.
type smtpSender struct {
	cfg     Config
	from    *mail.Address
	timeout time.Duration
	log     *slog.Logger
	rootCAs *x509.CertPool // nil: the system roots; tests trust their own
}

// Send validates m, then dials, authenticates, delivers and quits. The
// connection is bounded by the sender's timeout and by ctx while dialing.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	to, err := validate(m)
	if err != nil {
		return err
	}
	msg := s.compose(to, m)
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	client, err := gomail.NewClient(s.cfg.Host, s.clientOptions()...)
	if err != nil {
		return &sendError{to: to.Address, err: err}
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return classify(to.Address, err)
	}
	err = client.SendWithSMTPClient(conn, msg)
	closeErr := client.CloseWithSMTPClient(conn)
	if err != nil {
		return classify(to.Address, err)
	}
	if closeErr != nil {
		// The server accepted the message; failing now would make a job send
		// it twice.
		s.log.DebugContext(ctx, "smtp quit after delivery failed", "err", closeErr)
	}
	s.log.DebugContext(ctx, "mail sent", "to", to.Address, "subject", m.Subject)
	return nil
}

func (s *smtpSender) compose(to *mail.Address, m Message) *gomail.Msg {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	// RFC 3834: tells auto-responders (vacation replies) not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg
}

func (s *smtpSender) clientOptions() []gomail.Option {
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(s.timeout),
		gomail.WithTLSConfig(&tls.Config{
			ServerName: s.cfg.Host,
			MinVersion: tls.VersionTLS12,
			RootCAs:    s.rootCAs,
		}),
	}
	switch s.cfg.Security {
	case ImplicitTLS:
		opts = append(opts, gomail.WithSSL())
	case StartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case NoTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username == "" {
		return opts
	}
	opts = append(opts, gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	if s.cfg.Security == NoTLS {
		// The operator turned encryption off on purpose (a local relay):
		// allow the usual mechanisms over the plain connection, strongest
		// first.
		return append(opts, gomail.WithOpportunisticSMTPAuth(
			gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1, gomail.SMTPAuthCramMD5,
			gomail.SMTPAuthPlainNoEnc, gomail.SMTPAuthLoginNoEnc,
		))
	}
	return append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
}

// sendError is a failed delivery, classified for retries.
type sendError struct {
	to        string
	temporary bool
	err       error
}

func (e *sendError) Error() string {
	kind := "permanent"
	if e.temporary {
		kind = "temporary"
	}
	return fmt.Sprintf("mail: sending to %s failed (%s): %v", e.to, kind, e.err)
}

func (e *sendError) Unwrap() error { return e.err }

// IsTemporary reports whether err, returned by Send, is worth retrying
// later: the server could not be reached, timed out, dropped the
// connection, or answered with a 4xx code (greylisting, rate limits, a full
// queue). A 5xx answer (unknown recipient, rejected sender, failed login), a
// TLS certificate problem, a server without STARTTLS or an invalid message
// is permanent: the same send would fail again. nil is not temporary.
func IsTemporary(err error) bool {
	var se *sendError
	if errors.As(err, &se) {
		return se.temporary
	}
	return false
}

// classify wraps a go-mail error with its retry class.
func classify(to string, err error) error {
	return &sendError{to: to, temporary: isTemporaryFailure(err), err: err}
}

// isTemporaryFailure decides whether a go-mail error is worth a retry.
func isTemporaryFailure(err error) bool {
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		return tpErr.Code >= 400 && tpErr.Code < 500
	}
	// go-mail's SendError hides the server's reply behind its own accessors.
	var gmErr *gomail.SendError
	if errors.As(err, &gmErr) {
		code := gmErr.ErrorCode()
		switch {
		case code >= 500:
			return false
		case code >= 400 || gmErr.IsTemp():
			return true
		}
		switch gmErr.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return false // the message itself cannot be sent
		}
		return true // the connection broke while talking
	}
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var alert tls.AlertError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certErr), errors.As(err, &hostErr), errors.As(err, &authErr),
		errors.As(err, &alert), errors.As(err, &recordErr):
		return false // TLS misconfiguration: retrying will not fix it
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) // refused, unreachable, reset, timed out, no such host
}
