package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "localhost:8080" || c.DataDir != "./kite-data" || c.DatabaseURL != "" || c.PublicURL != "http://localhost:8080" ||
		c.ShutdownTimeout != 20*time.Second || c.JobWorkers != 20 || c.LogFormat != "text" || c.DBMaxConns != 0 {
		t.Fatalf("defaults = %+v", c)
	}
	// A number sets the pool size for either engine; "auto" leaves it to db.Open.
	if c, err := Load(nil, env(map[string]string{"KITE_DB_MAX_CONNS": "4"})); err != nil || c.DBMaxConns != 4 {
		t.Fatalf("KITE_DB_MAX_CONNS=4: %d %v", c.DBMaxConns, err)
	}
}

func TestFlagsWinOverEnvironmentAndFilesHoldSecrets(t *testing.T) {
	t.Parallel()
	secret := filepath.Join(t.TempDir(), "db-url")
	os.WriteFile(secret, []byte("postgres://kite@db/kite\n"), 0o600)
	c, err := Load([]string{"-addr", "0.0.0.0:9000", "-job-workers=3"}, env(map[string]string{
		"KITE_ADDR": "127.0.0.1:1", "KITE_DATABASE_URL_FILE": secret, "KITE_PUBLIC_URL": "https://crm.example.com/",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "0.0.0.0:9000" || c.JobWorkers != 3 || c.DatabaseURL != "postgres://kite@db/kite" || c.PublicURL != "https://crm.example.com" {
		t.Fatalf("config = %+v", c)
	}
}

func TestInvalidValuesNameTheVariable(t *testing.T) {
	t.Parallel()
	for name, vars := range map[string]map[string]string{
		"KITE_PUBLIC_URL":   {"KITE_PUBLIC_URL": "ftp://x"},
		"KITE_DB_MAX_CONNS": {"KITE_DB_MAX_CONNS": "many"},
		"KITE_NODE_TTL":     {"KITE_NODE_TTL": "0s"},
		"KITE_LOG_FORMAT":   {"KITE_LOG_FORMAT": "xml"},
	} {
		_, err := Load(nil, env(vars))
		if err == nil || !strings.HasPrefix(err.Error(), name+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v", name, err)
		}
	}
	if _, err := Load([]string{"-no-such-flag"}, env(nil)); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestSecretKeyGeneratedOnceWithPrivateMode(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	c := Config{DataDir: dir}
	if err := c.PrepareDataDir(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 || len(c.SecretKey) < 32 || !c.SecretKeyGenerated {
		t.Fatalf("key file %v %v, key %d chars", st, err, len(c.SecretKey))
	}
	again := Config{DataDir: dir}
	again.PrepareDataDir()
	if again.SecretKey != c.SecretKey {
		t.Fatal("second start generated a different key")
	}
	given := Config{DataDir: t.TempDir(), SecretKey: strings.Repeat("k", 32)}
	given.PrepareDataDir()
	if given.SecretKeyGenerated {
		t.Fatal("an explicit key was replaced")
	}
}
