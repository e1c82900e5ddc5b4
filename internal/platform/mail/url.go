package mail

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Security is how the connection to the SMTP server is protected.
type Security string

const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else is sent; a server that does not offer it is an error.
	StartTLS Security = "starttls"
	// ImplicitTLS speaks TLS from the first byte (smtps, usually port 465).
	ImplicitTLS Security = "tls"
	// NoTLS never encrypts. Only for a relay on the same host or network,
	// or a test server; credentials travel in clear text.
	NoTLS Security = "none"
)

// Config is a parsed KITE_SMTP_URL.
type Config struct {
	Host     string
	Port     int
	Username string // empty: no SMTP AUTH
	Password string
	Security Security
	From     string // the from= parameter, "" when the URL names none
}

// String is the URL with the password masked, safe to log or show.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: hostPort(c.Host, c.Port)}
	if c.Security == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	var q []string
	if c.Security == NoTLS {
		q = append(q, "tls=none")
	}
	if c.From != "" {
		q = append(q, "from="+url.PathEscape(c.From))
	}
	u.RawQuery = strings.Join(q, "&")
	return u.String()
}

func hostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(port)
}

// urlForms is appended to errors about the shape of the URL.
const urlForms = "want smtp://user:pass@host:587 (STARTTLS), smtps://user:pass@host:465 (TLS) or smtp://host:25?tls=none"

// ParseURL reads KITE_SMTP_URL:
//
//	smtp://user:pass@host:587                 STARTTLS, required (port defaults to 587)
//	smtp://host:25?tls=none                   no encryption at all
//	smtps://user:pass@host:465                implicit TLS (port defaults to 465)
//	…?from=Kite <noreply@example.com>         the sender of every mail
//
// User and password are percent-decoded (write "@" in a password as %40).
// Query values are percent-decoded too, but "+" stays a plus, so
// from=kite+noreply@example.com means what it says. Unknown parameters are
// errors, so a typo does not silently fall back to a default. Every error
// starts with "KITE_SMTP_URL: " and never contains the password.
func ParseURL(raw string) (Config, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Config{}, errors.New("KITE_SMTP_URL: empty; " + urlForms)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, password included: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Config{}, fmt.Errorf("KITE_SMTP_URL: not a URL (%v); %s", err, urlForms)
	}
	var c Config
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		c.Security, c.Port = StartTLS, 587
	case "smtps":
		c.Security, c.Port = ImplicitTLS, 465
	case "":
		return Config{}, errors.New("KITE_SMTP_URL: no scheme; " + urlForms)
	default:
		return Config{}, fmt.Errorf("KITE_SMTP_URL: scheme must be smtp or smtps, not %q; %s", u.Scheme, urlForms)
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return Config{}, errors.New("KITE_SMTP_URL: no host; " + urlForms)
	}
	c.Host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Config{}, fmt.Errorf("KITE_SMTP_URL: port %q is not a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return Config{}, errors.New("KITE_SMTP_URL: unexpected path after the host; " + urlForms)
	}
	if u.Fragment != "" {
		return Config{}, errors.New("KITE_SMTP_URL: unexpected #fragment")
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" {
			return Config{}, errors.New("KITE_SMTP_URL: a password without a user name")
		}
		if c.Password == "" {
			return Config{}, errors.New("KITE_SMTP_URL: user name without a password (write user:password@host)")
		}
	}
	if err := parseQuery(u.RawQuery, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// parseQuery reads the tls and from parameters of the URL into c.
func parseQuery(rawQuery string, c *Config) error {
	seen := map[string]bool{}
	for _, pair := range strings.Split(rawQuery, "&") {
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		v, err := url.PathUnescape(value)
		if err != nil {
			return fmt.Errorf("KITE_SMTP_URL: parameter %q is badly percent-encoded", key)
		}
		if seen[key] {
			return fmt.Errorf("KITE_SMTP_URL: parameter %q given twice", key)
		}
		seen[key] = true
		switch key {
		case "tls":
			if err := parseTLSParam(v, c); err != nil {
				return err
			}
		case "from":
			v = strings.TrimSpace(v)
			if v == "" {
				return errors.New("KITE_SMTP_URL: from= is empty")
			}
			if _, err := parseFrom(v); err != nil {
				return fmt.Errorf("KITE_SMTP_URL: from: %w", err)
			}
			c.From = v
		default:
			return fmt.Errorf("KITE_SMTP_URL: unknown parameter %q (known: tls, from)", key)
		}
	}
	return nil
}

func parseTLSParam(v string, c *Config) error {
	switch strings.ToLower(v) {
	case "none":
		if c.Security == ImplicitTLS {
			return errors.New("KITE_SMTP_URL: smtps always uses TLS; for no encryption write smtp://host:port?tls=none")
		}
		c.Security = NoTLS
	case "starttls":
		if c.Security == ImplicitTLS {
			return errors.New("KITE_SMTP_URL: smtps uses implicit TLS, not STARTTLS; for STARTTLS write smtp://host:587")
		}
		c.Security = StartTLS
	default:
		return fmt.Errorf("KITE_SMTP_URL: tls=%q is unknown (tls=none turns encryption off; STARTTLS is the default for smtp://)", v)
	}
	return nil
}
