// Command kite runs Kite: web UI, JSON API, background jobs and realtime in
// one process, on embedded SQLite or on PostgreSQL. See `kite help`.
package main

import (
	"os"
	"runtime/debug"

	"github.com/kite-crm/kite/internal/app"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func main() {
	os.Exit(app.Main(app.Env{
		Args:    os.Args[1:],
		Getenv:  os.Getenv,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Version: buildVersion(),
	}))
}

// buildVersion prefers the linker-set version, then the module version or
// VCS revision recorded by the Go toolchain, then "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := info.Main.Version; v != "" && v != "(devel)" {
			return v
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return "dev"
}
