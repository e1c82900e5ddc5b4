package browsertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// AxeEnv may name axe.min.js; otherwise the copy that npm installs next to
// this package (axe/node_modules/axe-core/axe.min.js) is used.
const AxeEnv = "KITE_TEST_AXE"

// axeInstall is the command that installs axe-core where findAxe looks,
// run from the repository's root.
const axeInstall = "npm ci --prefix internal/platform/browsertest/axe"

// axeTags are the rule sets Kite's pages must pass: WCAG 2.0 and 2.1, levels
// A and AA. axe's best-practice and experimental rules are left out so that a
// failure always points at a success criterion, not a matter of taste.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// Output limits, so that a page with a broken layout (the same fault on every
// row of a long list) gives a failure one can read, not thousands of lines.
const (
	axeMaxNodes   = 5    // nodes listed per rule
	axeMaxHTML    = 120  // characters of one node's markup
	axeMaxSummary = 600  // characters of one node's failure summary
	axeMaxReport  = 8000 // characters of the whole report
)

// ErrNoAxe is returned by AxeRun when axe.min.js is not installed.
var ErrNoAxe = errors.New("axe-core is not installed")

// AxeOption adjusts one accessibility check.
type AxeOption func(*axeConfig)

type axeConfig struct {
	exclude  []string
	disabled []string
	err      error
}

// AxeExclude leaves the parts of the page matched by the CSS selectors out of
// the check, for markup that another check covers or that the page does not
// own.
func AxeExclude(selectors ...string) AxeOption {
	return func(c *axeConfig) { c.exclude = append(c.exclude, selectors...) }
}

// AxeDisableRules turns axe rules off by id. The reason is required and
// should say why the rule does not apply (a known false positive, a fix
// tracked elsewhere), so that every exception is written down where it is
// made.
func AxeDisableRules(reason string, ruleIDs ...string) AxeOption {
	return func(c *axeConfig) {
		if strings.TrimSpace(reason) == "" {
			c.err = fmt.Errorf("AxeDisableRules(%q) needs a reason", ruleIDs)
			return
		}
		c.disabled = append(c.disabled, ruleIDs...)
	}
}

// AxeViolation is one rule of axe that the page breaks.
type AxeViolation struct {
	ID      string    `json:"id"`
	Impact  string    `json:"impact"`
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	// Target is the element's CSS selector; for an element inside a frame
	// the selectors of each frame are joined by " >> ", and those of each
	// shadow root by " >>> ".
	Target         string `json:"target"`
	HTML           string `json:"html"`
	FailureSummary string `json:"failureSummary"`
}

// Axe checks the page now shown in ctx (a context of New) with axe-core
// against WCAG 2.1 A and AA, and fails the test with a list of the
// violations: rule, impact, help, and each element's selector and what to
// fix. label names the page in the message. The test continues after the
// failure, so one test can check several pages and report them all.
//
// Without axe-core installed the test is skipped, except with CI=true, where
// it fails, as New does without Chromium.
func Axe(t testing.TB, ctx context.Context, label string, opts ...AxeOption) {
	t.Helper()
	vs, url, err := axeRun(ctx, opts)
	if errors.Is(err, ErrNoAxe) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v; run %s (or set %s)", err, axeInstall, AxeEnv)
		}
		t.Skipf("%v; run %s to run accessibility checks (or set %s)", err, axeInstall, AxeEnv)
	}
	if err != nil {
		t.Fatalf("axe on %s: %v", label, err)
	}
	if len(vs) > 0 {
		t.Errorf("%s", FormatAxeViolations(label+" ("+url+")", vs))
	}
}

// AxeRun checks the page now shown in ctx as Axe does and returns the
// violations, for callers that want to inspect them. It returns an error
// wrapping ErrNoAxe when axe-core is not installed.
func AxeRun(ctx context.Context, opts ...AxeOption) ([]AxeViolation, error) {
	vs, _, err := axeRun(ctx, opts)
	return vs, err
}

func axeRun(ctx context.Context, opts []AxeOption) ([]AxeViolation, string, error) {
	var cfg axeConfig
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.err != nil {
		return nil, "", cfg.err
	}
	src, err := axeSource()
	if err != nil {
		return nil, "", err
	}

	// Runtime.evaluate over the DevTools protocol is not subject to the page's
	// Content-Security-Policy, so axe is injected into a page that allows no
	// inline script, without weakening the policy under test. axe itself
	// needs no eval. A page that already has it (the same document, checked
	// twice) keeps its copy.
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object" && typeof window.axe.run === "function"`))
	if err != nil {
		return nil, "", fmt.Errorf("checking for axe in the page: %w", err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](src)); err != nil {
			return nil, "", fmt.Errorf("injecting axe-core: %w", err)
		}
	}

	// The scope is the whole document unless parts are excluded. Each
	// exclude entry is a list of selectors, one per frame level; Kite's
	// pages have no frames, so each is a single selector.
	scope := []byte("document")
	if len(cfg.exclude) > 0 {
		ex := make([][]string, len(cfg.exclude))
		for i, s := range cfg.exclude {
			ex[i] = []string{s}
		}
		if scope, err = json.Marshal(map[string]any{"exclude": ex}); err != nil {
			return nil, "", err
		}
	}
	rules := map[string]any{}
	for _, id := range cfg.disabled {
		rules[id] = map[string]bool{"enabled": false}
	}
	options, err := json.Marshal(map[string]any{
		"runOnly":     map[string]any{"type": "tag", "values": axeTags},
		"resultTypes": []string{"violations"},
		"rules":       rules,
	})
	if err != nil {
		return nil, "", err
	}
	// Only what the report needs comes back: axe's full result holds every
	// check's data and can be megabytes on a long list.
	script := `axe.run(` + string(scope) + `, ` + string(options) + `).then(r => ({
  url: location.href,
  violations: r.violations.map(v => ({
    id: v.id, impact: v.impact || "", help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.map(t => Array.isArray(t) ? t.join(" >>> ") : String(t)).join(" >> "),
      html: n.html,
      failureSummary: n.failureSummary || "",
    })),
  })),
}))`
	type result struct {
		URL        string         `json:"url"`
		Violations []AxeViolation `json:"violations"`
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[result](script, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, "", fmt.Errorf("running axe: %w", err)
	}
	return r.Violations, r.URL, nil
}

// axeSource reads axe.min.js once per test binary.
var axeSource = sync.OnceValues(func() (string, error) {
	path := os.Getenv(AxeEnv)
	if path == "" {
		// The file sits next to this source file, wherever the repository
		// is checked out; tests run with the package directory as working
		// directory, but not every caller is in this package. A binary
		// built with -trimpath has no such path and needs AxeEnv.
		_, self, _, ok := runtime.Caller(0)
		if !ok {
			return "", fmt.Errorf("%w: cannot locate the browsertest package's source", ErrNoAxe)
		}
		path = filepath.Join(filepath.Dir(self), "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: no %s", ErrNoAxe, path)
	}
	if err != nil {
		return "", err
	}
	return string(b), nil
})

// FormatAxeViolations writes the violations as a readable list, capped in
// length.
func FormatAxeViolations(label string, vs []AxeViolation) string {
	var b strings.Builder
	nodes := 0
	for _, v := range vs {
		nodes += len(v.Nodes)
	}
	fmt.Fprintf(&b, "accessibility: %s: %d rule(s) violated on %d element(s) (WCAG 2.1 A/AA, axe-core):", label, len(vs), nodes)
	for i, v := range vs {
		entry := formatAxeViolation(v)
		if i > 0 && b.Len()+len(entry) > axeMaxReport {
			fmt.Fprintf(&b, "\n… and %d more rule(s):", len(vs)-i)
			for _, rest := range vs[i:] {
				fmt.Fprintf(&b, " %s", rest.ID)
			}
			break
		}
		b.WriteString(entry)
	}
	return b.String()
}

func formatAxeViolation(v AxeViolation) string {
	var b strings.Builder
	impact := v.Impact
	if impact == "" {
		impact = "unknown impact"
	}
	fmt.Fprintf(&b, "\n\n- %s (%s): %s", v.ID, impact, v.Help)
	if v.HelpURL != "" {
		fmt.Fprintf(&b, "\n  %s", v.HelpURL)
	}
	for i, n := range v.Nodes {
		if i == axeMaxNodes {
			fmt.Fprintf(&b, "\n  … and %d more element(s)", len(v.Nodes)-i)
			break
		}
		// axe picks the shortest unique selector, which can be as bare as
		// "p"; the start of the element's markup says which one it is.
		fmt.Fprintf(&b, "\n  * %s  %s", n.Target, clip(strings.Join(strings.Fields(n.HTML), " "), axeMaxHTML))
		for line := range strings.SplitSeq(clip(strings.TrimSpace(n.FailureSummary), axeMaxSummary), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				fmt.Fprintf(&b, "\n      %s", line)
			}
		}
	}
	return b.String()
}

// clip shortens s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
