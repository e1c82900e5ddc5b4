// Package browsertest starts a headless Chromium for tests that drive Kite's
// real pages with chromedp, the way a person would.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// ChromiumEnv may name the browser binary; otherwise chromium is looked up on PATH.
const ChromiumEnv = "KITE_TEST_CHROMIUM"

// findChromium returns the browser's path or "".
func findChromium() string {
	if p := os.Getenv(ChromiumEnv); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New returns a chromedp context with a fresh headless browser and profile,
// closed when the test ends, and bounded by timeout. Without Chromium the
// test is skipped, except with CI=true, where it fails.
func New(t testing.TB, timeout time.Duration) context.Context {
	t.Helper()
	path := findChromium()
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no chromium on PATH (install Debian's chromium or set %s)", ChromiumEnv)
		}
		t.Skipf("no chromium on PATH; install it to run browser tests (or set %s)", ChromiumEnv)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // tests may run as root, where the sandbox cannot start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		// A closed network: no update checks, no QUIC probes, no lookups of
		// the vendor's hosts at start.
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-domain-reliability", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelBrowser()
		cancelAlloc()
	})
	// Start the browser now, so a broken installation fails here clearly.
	if err := chromedp.Do(ctx, catchPageErrors()); err != nil {
		t.Fatalf("starting chromium (%s): %v", path, err)
	}
	return ctx
}

// catchPageErrors makes every page record uncaught script errors and
// Content-Security-Policy violations in window.__kiteErrors, which
// PageErrors reads: a page that breaks silently fails its test.
func catchPageErrors() chromedp.Action[chromedp.Void] {
	const script = `window.__kiteErrors = [];
addEventListener("error", e => window.__kiteErrors.push("error: " + e.message));
addEventListener("unhandledrejection", e => window.__kiteErrors.push("unhandled rejection: " + e.reason));
document.addEventListener("securitypolicyviolation", e => window.__kiteErrors.push("CSP blocked " + e.blockedURI + " (" + e.violatedDirective + ")"));`
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	})
}

// PageErrors returns the script errors and CSP violations of the current page.
func PageErrors(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__kiteErrors || ["error catcher missing"]`))
}
