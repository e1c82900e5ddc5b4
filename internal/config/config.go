// Package config loads Kite's configuration from flags, KITE_* environment
// variables and *_FILE secrets into one Config value.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything Kite needs to start. Load fills it; tests build it directly.
type Config struct {
	Addr            string        // KITE_ADDR: listen address
	PublicURL       string        // KITE_PUBLIC_URL: URL users and webhooks reach Kite at
	DataDir         string        // KITE_DATA_DIR: SQLite database, secret key, blobs
	DatabaseURL     string        // KITE_DATABASE_URL: empty = SQLite in DataDir
	SecretKey       string        // KITE_SECRET_KEY: app key; generated into DataDir when empty
	LogLevel        slog.Level    // KITE_LOG_LEVEL: debug|info|warn|error
	LogFormat       string        // KITE_LOG_FORMAT: text|json
	DBMaxConns      int           // KITE_DB_MAX_CONNS: PostgreSQL pool size / SQLite readers; 0: by engine
	ShutdownTimeout time.Duration // KITE_SHUTDOWN_TIMEOUT: bound on graceful shutdown
	JobWorkers      int           // KITE_JOB_WORKERS: concurrent jobs per process
	JobTimeout      time.Duration // KITE_JOB_TIMEOUT: one job attempt's time limit
	NodeTTL         time.Duration // KITE_NODE_TTL: a silent replica is presumed dead after this
	SMTPURL         string        // KITE_SMTP_URL: outgoing mail; empty = log + dev mailbox
	MetricsToken    string        // KITE_METRICS_TOKEN: bearer token /metrics requires; empty = open
	MailFrom        string        // KITE_MAIL_FROM: sender of Kite's mails

	GoogleClientID     string // KITE_GOOGLE_CLIENT_ID: Google sign-in; empty = off
	GoogleClientSecret string // KITE_GOOGLE_CLIENT_SECRET
	GoogleIssuer       string // KITE_GOOGLE_ISSUER: OpenID issuer
	TelegramLoginToken string // KITE_TELEGRAM_LOGIN_BOT_TOKEN: Telegram Login Widget; empty = off
	TelegramLoginBot   string // KITE_TELEGRAM_LOGIN_BOT_NAME: the widget's bot username

	TelegramAPIURL  string // KITE_TELEGRAM_API_URL: the Bot API server
	TelegramUpdates string // KITE_TELEGRAM_UPDATES: auto|webhook|polling
	BlobDir         string // KITE_BLOB_DIR: received files; default DataDir/blobs

	// SecretKeyGenerated is set by PrepareDataDir when the key comes from the
	// data dir rather than KITE_SECRET_KEY.
	SecretKeyGenerated bool
}

// Var describes one KITE_* variable, for Load and for the README.
type Var struct {
	Name    string
	Default string
	Help    string
	Secret  bool // may also be given as NAME_FILE
}

// Vars lists every variable Kite reads, with its default.
func Vars() []Var {
	return []Var{
		{"KITE_ADDR", "localhost:8080", "listen address (host:port)", false},
		{"KITE_PUBLIC_URL", "http://<KITE_ADDR>", "external base URL, used in links and webhooks", false},
		{"KITE_DATA_DIR", "./kite-data", "directory for the SQLite database and the generated secret key", false},
		{"KITE_DATABASE_URL", "", "empty: SQLite in the data dir; postgres://… : PostgreSQL", true},
		{"KITE_SECRET_KEY", "", "app key (≥ 32 characters) sealing credentials and signing tokens; generated into the data dir when empty", true},
		{"KITE_LOG_LEVEL", "info", "debug, info, warn or error", false},
		{"KITE_LOG_FORMAT", "text", "text or json", false},
		{"KITE_DB_MAX_CONNS", "auto", "PostgreSQL pool size (auto: 16); SQLite read connections (auto: one per CPU, at least 2)", false},
		{"KITE_SHUTDOWN_TIMEOUT", "20s", "how long a graceful shutdown waits for requests and jobs", false},
		{"KITE_JOB_WORKERS", "20", "background jobs run at once by this process", false},
		{"KITE_JOB_TIMEOUT", "1m", "time limit of one job attempt", false},
		{"KITE_NODE_TTL", "30s", "a replica silent for this long is presumed dead and its running jobs are retried", false},
		{"KITE_METRICS_TOKEN", "", "bearer token that /metrics requires; empty leaves /metrics open (protect it at the network)", true},
		{"KITE_SMTP_URL", "", "outgoing mail, smtp://user:pass@host:587 or smtps://…:465; empty: mails go to the log and the dev mailbox", true},
		{"KITE_MAIL_FROM", "Kite <kite@localhost>", "sender of Kite's mails", false},
		{"KITE_GOOGLE_CLIENT_ID", "", "Google sign-in OAuth client id; empty turns Google sign-in off", false},
		{"KITE_GOOGLE_CLIENT_SECRET", "", "Google sign-in OAuth client secret", true},
		{"KITE_GOOGLE_ISSUER", "https://accounts.google.com", "OpenID Connect issuer for Google sign-in", false},
		{"KITE_TELEGRAM_LOGIN_BOT_TOKEN", "", "bot token for the Telegram Login Widget; empty turns Telegram sign-in off", true},
		{"KITE_TELEGRAM_LOGIN_BOT_NAME", "", "username of that bot, shown by the widget", false},
		{"KITE_TELEGRAM_API_URL", "https://api.telegram.org", "Telegram Bot API server that connected bots talk to", false},
		{"KITE_TELEGRAM_UPDATES", "auto", "how bots receive updates: webhook, polling, or auto (webhook when KITE_PUBLIC_URL is https, else polling)", false},
		{"KITE_BLOB_DIR", "<KITE_DATA_DIR>/blobs", "directory for files received in conversations", false},
	}
}

// Load reads flags (args, without the program name), then the environment
// (getenv), filling defaults. Flags win over the environment. Every invalid
// value is reported as one line naming the variable.
func Load(args []string, getenv func(string) string) (Config, error) {
	vals := map[string]string{}
	for _, v := range Vars() {
		val, err := lookup(v, getenv)
		if err != nil {
			return Config{}, err
		}
		vals[v.Name] = val
	}
	fs := flag.NewFlagSet("kite", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flagged := map[string]*string{}
	for _, v := range Vars() {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(v.Name, "KITE_")), "_", "-")
		flagged[v.Name] = fs.String(name, "", v.Help+" ("+v.Name+")")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for name, p := range flagged {
		if *p != "" {
			vals[name] = *p
		}
	}
	return parse(vals)
}

// lookup returns the variable's value from NAME, NAME_FILE or its default.
func lookup(v Var, getenv func(string) string) (string, error) {
	if val := getenv(v.Name); val != "" {
		return val, nil
	}
	if v.Secret {
		if path := getenv(v.Name + "_FILE"); path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return "", fmt.Errorf("%s_FILE: cannot read %s: %v", v.Name, path, unwrapPathErr(err))
			}
			return strings.TrimSpace(string(b)), nil
		}
	}
	return v.Default, nil
}

func parse(vals map[string]string) (Config, error) {
	c := Config{
		Addr:         vals["KITE_ADDR"],
		DataDir:      vals["KITE_DATA_DIR"],
		DatabaseURL:  vals["KITE_DATABASE_URL"],
		SecretKey:    vals["KITE_SECRET_KEY"],
		LogFormat:    vals["KITE_LOG_FORMAT"],
		SMTPURL:      vals["KITE_SMTP_URL"],
		MetricsToken: vals["KITE_METRICS_TOKEN"],
		MailFrom:     vals["KITE_MAIL_FROM"],

		GoogleClientID:     vals["KITE_GOOGLE_CLIENT_ID"],
		GoogleClientSecret: vals["KITE_GOOGLE_CLIENT_SECRET"],
		GoogleIssuer:       vals["KITE_GOOGLE_ISSUER"],
		TelegramLoginToken: vals["KITE_TELEGRAM_LOGIN_BOT_TOKEN"],
		TelegramLoginBot:   strings.TrimPrefix(vals["KITE_TELEGRAM_LOGIN_BOT_NAME"], "@"),
		TelegramAPIURL:     strings.TrimRight(vals["KITE_TELEGRAM_API_URL"], "/"),
		TelegramUpdates:    vals["KITE_TELEGRAM_UPDATES"],
		BlobDir:            vals["KITE_BLOB_DIR"],
	}
	var err error
	if _, _, err = net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("KITE_ADDR: %q is not host:port", c.Addr)
	}
	if c.PublicURL, err = publicURL(vals["KITE_PUBLIC_URL"], c.Addr); err != nil {
		return c, err
	}
	if c.DataDir == "" {
		return c, errors.New("KITE_DATA_DIR: must not be empty")
	}
	if c.DatabaseURL != "" && !IsPostgres(c.DatabaseURL) {
		return c, errors.New("KITE_DATABASE_URL: must start with postgres:// or postgresql:// (leave empty for SQLite)")
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		return c, errors.New("KITE_SECRET_KEY: must be at least 32 characters")
	}
	if err = c.LogLevel.UnmarshalText([]byte(vals["KITE_LOG_LEVEL"])); err != nil {
		return c, fmt.Errorf("KITE_LOG_LEVEL: %q is not debug, info, warn or error", vals["KITE_LOG_LEVEL"])
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("KITE_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	// 0 leaves the size to db.Open, which knows the engine.
	if vals["KITE_DB_MAX_CONNS"] != "auto" {
		if c.DBMaxConns, err = positiveInt(vals, "KITE_DB_MAX_CONNS"); err != nil {
			return c, err
		}
	}
	if c.JobWorkers, err = positiveInt(vals, "KITE_JOB_WORKERS"); err != nil {
		return c, err
	}
	if c.ShutdownTimeout, err = positiveDuration(vals, "KITE_SHUTDOWN_TIMEOUT"); err != nil {
		return c, err
	}
	if c.JobTimeout, err = positiveDuration(vals, "KITE_JOB_TIMEOUT"); err != nil {
		return c, err
	}
	if c.NodeTTL, err = positiveDuration(vals, "KITE_NODE_TTL"); err != nil {
		return c, err
	}
	if c.GoogleClientID != "" && c.GoogleClientSecret == "" {
		return c, errors.New("KITE_GOOGLE_CLIENT_SECRET: required when KITE_GOOGLE_CLIENT_ID is set")
	}
	if u, err := url.Parse(c.GoogleIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("KITE_GOOGLE_ISSUER: %q is not an http(s) URL", c.GoogleIssuer)
	}
	if u, err := url.Parse(c.TelegramAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, fmt.Errorf("KITE_TELEGRAM_API_URL: %q is not an http(s) URL", c.TelegramAPIURL)
	}
	if c.TelegramUpdates != "auto" && c.TelegramUpdates != "webhook" && c.TelegramUpdates != "polling" {
		return c, fmt.Errorf("KITE_TELEGRAM_UPDATES: %q is not auto, webhook or polling", c.TelegramUpdates)
	}
	if c.BlobDir == "" || strings.Contains(c.BlobDir, "<") {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.TelegramLoginToken != "" && c.TelegramLoginBot == "" {
		return c, errors.New("KITE_TELEGRAM_LOGIN_BOT_NAME: required when KITE_TELEGRAM_LOGIN_BOT_TOKEN is set")
	}
	return c, nil
}

func publicURL(raw, addr string) (string, error) {
	if raw == "" || strings.Contains(raw, "<") {
		host, port, _ := net.SplitHostPort(addr)
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		return "http://" + net.JoinHostPort(host, port), nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("KITE_PUBLIC_URL: %q is not an http(s) URL", raw)
	}
	return strings.TrimRight(raw, "/"), nil
}

func positiveInt(vals map[string]string, name string) (int, error) {
	n, err := strconv.Atoi(vals[name])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s: %q is not a positive whole number", name, vals[name])
	}
	return n, nil
}

func positiveDuration(vals map[string]string, name string) (time.Duration, error) {
	d, err := time.ParseDuration(vals[name])
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive duration such as 30s or 2m", name, vals[name])
	}
	return d, nil
}

// TelegramWebhooks reports whether bots get their updates by webhook (else
// by long polling): chosen explicitly, or automatically when Telegram can
// reach Kite, which it does only over https.
func (c Config) TelegramWebhooks() bool {
	switch c.TelegramUpdates {
	case "webhook":
		return true
	case "polling":
		return false
	}
	return strings.HasPrefix(c.PublicURL, "https://")
}

// IsPostgres reports whether a database URL names PostgreSQL.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// PrepareDataDir makes sure the data dir exists and is writable, and fills
// SecretKey from DataDir/secret.key, creating that file (mode 0600) on first run.
func (c *Config) PrepareDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("KITE_DATA_DIR: cannot create %s: %v", c.DataDir, unwrapPathErr(err))
	}
	probe, err := os.CreateTemp(c.DataDir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("KITE_DATA_DIR: %s is not writable: %v", c.DataDir, unwrapPathErr(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if c.SecretKey != "" {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret.key")
	c.SecretKeyGenerated = true
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		c.SecretKey = strings.TrimSpace(string(b))
		if len(c.SecretKey) < 32 {
			return fmt.Errorf("KITE_SECRET_KEY: %s holds fewer than 32 characters", path)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("KITE_SECRET_KEY: cannot read %s: %v", path, unwrapPathErr(err))
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	c.SecretKey = hex.EncodeToString(raw)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("KITE_SECRET_KEY: cannot create %s: %v", path, unwrapPathErr(err))
	}
	if _, err = f.WriteString(c.SecretKey + "\n"); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("KITE_SECRET_KEY: cannot write %s: %v", path, err)
	}
	return nil
}

// SQLitePath is the database file used when DatabaseURL is empty.
func (c Config) SQLitePath() string { return filepath.Join(c.DataDir, "kite.db") }

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
