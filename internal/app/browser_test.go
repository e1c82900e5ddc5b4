package app

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kite-crm/kite/internal/platform/browsertest"
	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// A person opening /status sees the server's version, database, schema and
// job queue, styled and scripted, and the live part refreshes by itself.
func TestStatusPageInBrowser(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	newClient(t, a).signUp("ops@example.com", "Ops")
	ui := newUITab(t, a)
	ui.signIn("ops@example.com", testPassword, "/")
	ctx := ui.ctx

	if err := chromedp.Do(ctx, chromedp.Navigate(a.URL()+"/status"), chromedp.WaitVisible(chromedp.CSS("h1")), chromedp.WaitReady(chromedp.CSS("#status-live"))); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil || title != "System status · Kite" {
		t.Fatalf("title = %q, %v", title, err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"System status", "test", "SQLite", "kite.db", "Job queue", "Available", "Running", "Completed", "Discarded", "Uptime"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not show %q; it shows:\n%s", want, text)
		}
	}
	// The design system and scripts loaded: the sidebar is laid out by the
	// stylesheet and htmx is running.
	styled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.body).margin === "0px" && typeof htmx === "object"`))
	if err != nil || !styled {
		t.Fatalf("stylesheet or htmx missing: %v %v", styled, err)
	}
	const liveTimes = `[...document.querySelectorAll("#status-live time")].map(t => t.getAttribute("datetime")).join(" ")`
	before, _ := chromedp.Run(ctx, chromedp.Evaluate[string](liveTimes))
	chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage = true`))
	// The live card is fetched again every 5 s and swapped in place.
	time.Sleep(6 * time.Second)
	after, _ := chromedp.Run(ctx, chromedp.Evaluate[string](liveTimes))
	samePage, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage === true`))
	if before == after || !samePage {
		t.Fatalf("live status did not refresh in place: %q -> %q (same page: %v)", before, after, samePage)
	}
	errs, err := browsertest.PageErrors(ctx)
	if err != nil || len(errs) > 0 {
		t.Fatalf("page errors: %v %v", errs, err)
	}
}
