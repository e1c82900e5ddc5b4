package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// testConfig is a valid configuration on a random port with its own data dir.
func testConfig(t *testing.T, b dbtest.Backend) config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(name string) string {
		switch name {
		case "KITE_ADDR":
			return "127.0.0.1:0"
		case "KITE_DATA_DIR":
			return t.TempDir()
		case "KITE_DATABASE_URL":
			return b.URL
		case "KITE_SHUTDOWN_TIMEOUT":
			return "5s"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if b.Path != "" {
		// Use the backend's fresh SQLite file location.
		cfg.DataDir = dirOf(b.Path)
	}
	return cfg
}

func dirOf(path string) string { return path[:strings.LastIndex(path, "/")] }

// startApp builds and starts Kite, stopping it when the test ends.
func startApp(t *testing.T, cfg config.Config, prepare ...func(*App)) *App {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := New(context.Background(), cfg, Options{Version: "test", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range prepare {
		p(a)
	}
	if err := a.Start(context.Background()); err != nil {
		a.close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return a
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func envFrom(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// getAuth is get with a bearer token.
func getAuth(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}
