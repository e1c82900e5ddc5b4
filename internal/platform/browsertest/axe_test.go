package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kite-crm/kite/internal/platform/browsertest"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// A one-pixel GIF: img-src allows data: URLs, and the image must exist so
// that only its missing text is at fault.
const pixel = "data:image/gif;base64,R0lGODlhAQABAAAAACw="

// badPage breaks three WCAG rules that axe checks: an image without
// alternative text, a button without a name and grey text on white.
const badPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title><link rel="stylesheet" href="/style.css"></head>
<body><main><h1>Bad</h1>
<img id="logo" src="` + pixel + `">
<button id="mute" type="button"></button>
<p class="faint">Hard to read</p>
</main></body></html>`

// cleanPage is badPage with each fault fixed.
const cleanPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Clean</title><link rel="stylesheet" href="/style.css"></head>
<body><main><h1>Clean</h1>
<img id="logo" src="` + pixel + `" alt="Kite">
<button id="mute" type="button">Mute</button>
<p class="plain">Easy to read</p>
</main></body></html>`

// The styles come from a file because the policy forbids inline styles.
const style = `body { background: #fff; color: #111; }
.faint { color: #bbb; }
.plain { color: #333; }`

// servePages serves the pages under Kite's own Content-Security-Policy, so
// the test shows that axe runs in a page that allows no inline script and
// no eval.
func servePages(t *testing.T) string {
	t.Helper()
	pages := map[string]struct{ body, typ string }{
		"/bad":       {badPage, "text/html; charset=utf-8"},
		"/clean":     {cleanPage, "text/html; charset=utf-8"},
		"/style.css": {style, "text/css"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Security-Policy", httpx.CSP)
		w.Header().Set("Content-Type", p.typ)
		fmt.Fprint(w, p.body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// recorder stands in for a test to catch what Axe reports, so that the
// failures it should cause do not fail this test.
type recorder struct {
	testing.TB
	mu      sync.Mutex
	errors  []string
	fatal   string
	skipped bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// Fatalf and Skipf end the calling goroutine, as the real ones do.
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	runtime.Goexit()
}

// capture runs check on its own goroutine, which a Fatalf may end.
func capture(t *testing.T, check func(testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r
}

func TestAxe(t *testing.T) {
	ctx := browsertest.New(t, 60*time.Second)
	base := servePages(t)
	open := func(path string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(base+path), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
			t.Fatal(err)
		}
	}

	// A clean page passes. This runs on the real test first, so that
	// without axe-core the test skips, or fails with CI=true, as Axe does.
	open("/clean")
	browsertest.Axe(t, ctx, "clean page")
	if t.Failed() {
		t.FailNow()
	}

	open("/bad")
	r := capture(t, func(tb testing.TB) { browsertest.Axe(tb, ctx, "bad page") })
	if r.fatal != "" || r.skipped || len(r.errors) != 1 {
		t.Fatalf("Axe on the bad page: fatal %q, skipped %v, errors %q; want one error", r.fatal, r.skipped, r.errors)
	}
	report := r.errors[0]
	t.Logf("the report on the bad page:\n%s", report)
	// The report names each rule with its impact, and each element with
	// its selector and what to fix.
	for _, want := range []string{
		"bad page (" + base + "/bad)",
		"- image-alt (critical):", "* #logo  <img id=\"logo\"",
		"- button-name (critical):", `* #mute  <button id="mute" type="button"></button>`,
		"- color-contrast (serious):", `* p  <p class="faint">Hard to read</p>`, "insufficient color contrast",
		"Fix any of the following",
	} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q", want)
		}
	}

	// The same page checked again keeps the copy of axe it has.
	vs, err := browsertest.AxeRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ruleIDs(vs), []string{"button-name", "color-contrast", "image-alt"}; !slices.Equal(got, want) {
		t.Errorf("rules broken = %v, want %v", got, want)
	}

	// Excluding an element and disabling a rule, with a reason, leave them out.
	vs, err = browsertest.AxeRun(ctx, browsertest.AxeExclude(".faint"), browsertest.AxeDisableRules("the test says so", "button-name"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ruleIDs(vs), []string{"image-alt"}; !slices.Equal(got, want) {
		t.Errorf("with options, rules broken = %v, want %v", got, want)
	}

	// A rule disabled without a reason, or an unknown rule, is an error of
	// the test, not a pass.
	r = capture(t, func(tb testing.TB) {
		browsertest.Axe(tb, ctx, "bad page", browsertest.AxeDisableRules(" ", "image-alt"))
	})
	if !strings.Contains(r.fatal, "needs a reason") {
		t.Errorf("disabling without a reason: fatal %q, errors %q", r.fatal, r.errors)
	}
	r = capture(t, func(tb testing.TB) {
		browsertest.Axe(tb, ctx, "bad page", browsertest.AxeDisableRules("typo", "no-such-rule"))
	})
	if !strings.Contains(r.fatal, "no-such-rule") {
		t.Errorf("disabling an unknown rule: fatal %q, errors %q", r.fatal, r.errors)
	}

	// Injecting and running axe broke nothing in the page, and its policy
	// blocked nothing.
	if errs, err := browsertest.PageErrors(ctx); err != nil || len(errs) > 0 {
		t.Errorf("page errors: %v %v", errs, err)
	}
}

func ruleIDs(vs []browsertest.AxeViolation) []string {
	var ids []string
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	return ids
}

// A page with the same fault everywhere gives a report of bounded length
// that still names every rule.
func TestFormatAxeViolationsCaps(t *testing.T) {
	var vs []browsertest.AxeViolation
	for i := range 40 {
		v := browsertest.AxeViolation{ID: fmt.Sprintf("rule-%02d", i), Impact: "serious", Help: "Something must be so", HelpURL: "https://example.com/rule"}
		for j := range 30 {
			v.Nodes = append(v.Nodes, browsertest.AxeNode{Target: fmt.Sprintf("#row-%d > td", j), FailureSummary: "Fix any of the following:\n  " + strings.Repeat("é", 2000)})
		}
		vs = append(vs, v)
	}
	report := browsertest.FormatAxeViolations("long page", vs)
	if n := len([]rune(report)); n > 10000 {
		t.Errorf("the report has %d characters", n)
	}
	for _, want := range []string{"40 rule(s) violated on 1200 element(s)", "- rule-00 (serious)", "* #row-4 > td", "… and 25 more element(s)", "more rule(s):", "rule-39"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if strings.Contains(report, "#row-5 ") {
		t.Error("the report lists more than 5 elements of a rule")
	}
}
