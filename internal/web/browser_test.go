package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kite-crm/kite/internal/platform/browsertest"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// testSpec is a small OpenAPI 3.1 document for the API reference page.
const testSpec = `{"openapi":"3.1.0","info":{"title":"Kite test API","version":"1.0.0"},
"paths":{"/contacts":{"get":{"operationId":"listContacts","summary":"List contacts","tags":["Contacts"],
"responses":{"200":{"description":"Contacts","content":{"application/json":{"schema":{"type":"array",
"items":{"type":"object","properties":{"id":{"type":"string"},"email":{"type":["string","null"]}}}}}}}}}}}}`

// browserServer serves the package as the app would, under the
// Content-Security-Policy Kite sends, so a page that needs more fails here.
func browserServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux, _, _ := newTestMux(t, func(context.Context) (StatusData, error) {
		d := fakeStatus()
		d.Now = time.Now()
		d.StartedAt = d.Now.Add(-time.Hour)
		return d, nil
	})
	mux.HandleFunc("GET /api/v1/openapi.json", func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(testSpec))
	})
	mux.HandleFunc("GET /test/saved", func(rw http.ResponseWriter, r *http.Request) {
		Toast(rw.Header(), "Contact saved", ToastSuccess)
	})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Security-Policy", httpx.CSP)
		mux.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// browser starts a headless chromium (skipping the test without one, outside
// CI) and returns the tab's context and a reader of every console message
// and page error seen so far, across navigations.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	ctx := browsertest.New(t, 60*time.Second)
	var mu sync.Mutex
	var msgs []string
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			msgs = append(msgs, m.String())
			mu.Unlock()
		}
	}()
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), msgs...)
	}
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval(t *testing.T, ctx context.Context, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return fmt.Sprint(v)
}

// waitFor polls js until it yields "true".
func waitFor(t *testing.T, ctx context.Context, what, js string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for eval(t, ctx, js) != "true" {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// noPageErrors fails the test for console errors, uncaught exceptions and
// Content-Security-Policy violations.
func noPageErrors(t *testing.T, ctx context.Context, console []string) {
	t.Helper()
	errs, err := browsertest.PageErrors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("page: %s", e)
	}
	for _, m := range console {
		if strings.HasPrefix(m, "error") || strings.HasPrefix(m, "exception") || strings.Contains(m, "Content Security Policy") {
			t.Errorf("console: %s", m)
		}
	}
}

func TestBrowserStatusPage(t *testing.T) {
	t.Parallel()
	srv := browserServer(t)
	ctx, console := browser(t)
	do(t, ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(srv.URL+"/status"), chromedp.WaitVisible(chromedp.CSS(".page-title")))
	waitFor(t, ctx, "htmx", `typeof htmx === "object" && typeof kite === "object"`, 5*time.Second)

	t.Run("theme toggle persists", func(t *testing.T) {
		before := eval(t, ctx, `kite.theme()`)
		do(t, ctx, chromedp.Click(chromedp.CSS("[data-theme-toggle]")))
		after := eval(t, ctx, `document.documentElement.getAttribute("data-theme")`)
		if after == before || (after != "dark" && after != "light") {
			t.Fatalf("theme %q -> %q", before, after)
		}
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".page-title")))
		if got := eval(t, ctx, `document.documentElement.getAttribute("data-theme")`); got != after {
			t.Errorf("after reload the theme is %q, want %q", got, after)
		}
		if label := eval(t, ctx, `document.querySelector("[data-theme-toggle]").getAttribute("aria-label")`); !strings.Contains(label, before) {
			t.Errorf("toggle label %q does not offer the %s theme", label, before)
		}
		waitFor(t, ctx, "htmx after reload", `typeof htmx === "object"`, 5*time.Second)
	})

	t.Run("toasts", func(t *testing.T) {
		eval(t, ctx, `kite.toast("<b>Hello</b>", "error"); 1`)
		if got := eval(t, ctx, `document.querySelector("#toasts .toast-error .toast-message").textContent`); got != "<b>Hello</b>" {
			t.Errorf("toast text = %q (must be shown as text)", got)
		}
		eval(t, ctx, `htmx.ajax("GET", "/test/saved", {target: "body", swap: "none"}); 1`)
		waitFor(t, ctx, "the HX-Trigger toast",
			`Array.from(document.querySelectorAll("#toasts .toast-success")).some(e => e.textContent.includes("Contact saved"))`, 5*time.Second)
	})

	t.Run("confirm holds the action", func(t *testing.T) {
		eval(t, ctx, `const b = document.createElement("button");
			b.id = "danger"; b.textContent = "Delete"; b.setAttribute("data-confirm", "Delete it?");
			window.clicks = 0; b.addEventListener("click", () => window.clicks++);
			document.getElementById("main").appendChild(b); 1`)
		do(t, ctx, chromedp.Click(chromedp.CSS("#danger")))
		if eval(t, ctx, `window.clicks`) != "0" || eval(t, ctx, `document.getElementById("kite-confirm").open`) != "true" {
			t.Fatal("the click went through without asking")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#kite-confirm .btn-secondary")))
		if eval(t, ctx, `window.clicks`) != "0" {
			t.Fatal("cancel let the action through")
		}
		do(t, ctx, chromedp.Click(chromedp.CSS("#danger")), chromedp.Click(chromedp.CSS("#kite-confirm .btn-danger")))
		waitFor(t, ctx, "the confirmed click", `window.clicks === 1`, 2*time.Second)
	})

	t.Run("live card refreshes in place", func(t *testing.T) {
		eval(t, ctx, `window.notReloaded = true; window.firstUpdate = document.querySelector("#status-live time.tabular").textContent; 1`)
		waitFor(t, ctx, "the 5 s refresh",
			`document.querySelector("#status-live time.tabular").textContent !== window.firstUpdate`, 8*time.Second)
		if eval(t, ctx, `window.notReloaded === true`) != "true" {
			t.Error("the page reloaded instead of swapping the card")
		}
		if eval(t, ctx, `document.querySelectorAll("#status-live").length`) != "1" {
			t.Error("the refresh nested or duplicated #status-live")
		}
	})

	noPageErrors(t, ctx, console())
}

func TestBrowserAPIDocs(t *testing.T) {
	t.Parallel()
	srv := browserServer(t)
	ctx, console := browser(t)
	do(t, ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(srv.URL+"/api/docs"))
	waitFor(t, ctx, "the rendered operation",
		`Array.from(document.querySelectorAll(".opblock-summary")).some(e => e.textContent.includes("/contacts"))`, 20*time.Second)
	if got := eval(t, ctx, `document.querySelector(".info .title").textContent`); !strings.Contains(got, "Kite test API") {
		t.Errorf("title = %q", got)
	}
	noPageErrors(t, ctx, console())
}
