package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/danielgtaylor/huma/v2"
	"github.com/uptrace/bun"

	"github.com/kite-crm/kite/internal/platform/db"
	"github.com/kite-crm/kite/internal/platform/dbtest"
	"github.com/kite-crm/kite/internal/platform/events"
	"github.com/kite-crm/kite/internal/platform/realtime"
)

func TestServesHealthStatusAndAPIOnFreshDatabase(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, false, func(t *testing.T, b dbtest.Backend) {
		a := startApp(t, testConfig(t, b))
		u := a.URL()
		if res, body := get(t, u+"/readyz"); res.StatusCode != 200 || !strings.Contains(body, "ready") {
			t.Fatalf("/readyz: %d %s", res.StatusCode, body)
		}
		if res, _ := get(t, u+"/healthz"); res.StatusCode != 200 {
			t.Fatalf("/healthz: %d", res.StatusCode)
		}
		// Operational details are for signed-in people only.
		if res, _ := get(t, u+"/api/v1/system/status"); res.StatusCode != 401 {
			t.Fatalf("status API without credentials: %d", res.StatusCode)
		}
		if res, body := get(t, u+"/status"); !strings.Contains(res.Request.URL.String(), "/signin?next=%2Fstatus") || strings.Contains(body, b.Kind.Label()) {
			t.Fatalf("/status without a session went to %s", res.Request.URL)
		}
		token := newClient(t, a).signUp("ops@example.com", "Ops").Access
		res, body := getAuth(t, u+"/api/v1/system/status", token)
		var st SystemStatus
		if err := json.Unmarshal([]byte(body), &st); err != nil || res.StatusCode != 200 {
			t.Fatalf("status API: %d %s", res.StatusCode, body)
		}
		if st.Database != string(b.Kind) || st.SchemaVersion == 0 || st.SchemaVersion != st.SchemaLatest || len(st.Jobs) != 7 || st.Version != "test" {
			t.Fatalf("status = %+v", st)
		}
		res, body = getAuth(t, u+"/status", token)
		if res.StatusCode != 200 || !strings.Contains(body, b.Kind.Label()) || res.Header.Get("Content-Security-Policy") == "" {
			t.Fatalf("/status page: %d, mentions %s: %v", res.StatusCode, b.Kind.Label(), strings.Contains(body, b.Kind.Label()))
		}
		if res, body := get(t, u+"/api/v1/openapi.json"); res.StatusCode != 200 || !strings.Contains(body, `"openapi":"3.1.0"`) || !strings.Contains(body, "/system/status") {
			t.Fatalf("openapi: %d", res.StatusCode)
		}
		if res, body := get(t, u+"/api/docs"); res.StatusCode != 200 || !strings.Contains(body, "openapi.json") {
			t.Fatalf("docs: %d %s", res.StatusCode, body)
		}
		res, body = get(t, u+"/metrics")
		for _, want := range []string{"kite_http_request_duration_seconds", `kite_jobs{state="available"}`, "go_sql_open_connections", "kite_realtime_subscriptions", "kite_board_cache_lookups_total", "kite_unread_cache_lookups_total"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)))
	res, body := get(t, a.URL()+"/api/v1/nothing-here")
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"code":"not_found"`) {
		t.Fatalf("unknown API route: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res, body = get(t, a.URL()+"/no/such/page")
	if res.StatusCode != 404 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "not found") {
		t.Fatalf("unknown page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// A malformed Accept header is ignored, not a crash.
	req, _ := http.NewRequest("GET", a.URL()+"/api/v1/openapi.json", nil)
	req.Header.Set("Accept", "a;b,")
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("malformed Accept: %v %v", res, err)
	}
	req, _ = http.NewRequest("DELETE", a.URL()+"/api/v1/system/status", nil)
	res, _ = http.DefaultClient.Do(req)
	if res.StatusCode != 405 || res.Header.Get("Allow") == "" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("wrong method: %d allow=%q", res.StatusCode, res.Header.Get("Allow"))
	}
}

type echoInput struct {
	Body struct {
		Name string `json:"name" minLength:"1" maxLength:"50"`
	}
}

type echoOutput struct {
	Body struct {
		Name string `json:"name"`
	}
}

// Bad bodies get clear 4xx problems through the whole middleware chain.
func TestBadRequestBodiesAre4xx(t *testing.T) {
	t.Parallel()
	a := startApp(t, testConfig(t, dbtest.New(t, db.SQLite, true)), func(a *App) {
		huma.Post(a.API, "/test/echo", func(ctx context.Context, in *echoInput) (*echoOutput, error) {
			out := &echoOutput{}
			out.Body.Name = in.Body.Name
			return out, nil
		})
	})
	post := func(contentType, body string) (int, string, string) {
		res, err := http.Post(a.URL()+"/api/v1/test/echo", contentType, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), b.String()
	}
	if code, _, body := post("application/json", `{"name":"Ann"}`); code != 200 || !strings.Contains(body, "Ann") {
		t.Fatalf("valid body: %d %s", code, body)
	}
	cases := []struct {
		name, ct, body string
		want           int
	}{
		{"malformed JSON", "application/json", `{"name":`, 400},
		{"unknown field", "application/json", `{"name":"a","admin":true}`, 422},
		{"invalid value", "application/json", `{"name":""}`, 422},
		{"wrong type", "application/json", `{"name":5}`, 422},
		{"wrong content type", "text/xml", `<name>a</name>`, 415},
		{"oversized", "application/json", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
	}
	for _, c := range cases {
		code, ct, body := post(c.ct, c.body)
		if code != c.want || ct != "application/problem+json" || !strings.Contains(body, `"code"`) {
			t.Errorf("%s: %d %s %s, want %d problem", c.name, code, ct, body[:min(len(body), 200)], c.want)
		}
	}
}

// Realtime frames published on one replica reach a socket on another; on
// SQLite there is one process, on PostgreSQL two apps share the database.
// A socket sees only its own organization's events.
func TestRealtimeFanOutAcrossReplicas(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		cfg := testConfig(t, b)
		first := startApp(t, cfg)
		second := first
		if b.Kind == db.Postgres {
			cfg2 := testConfig(t, b)
			cfg2.SecretKey = first.Config().SecretKey // replicas share the key
			second = startApp(t, cfg2)
		}
		for deadline := time.Now().Add(10 * time.Second); !first.Hub.Listening() || !second.Hub.Listening(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("realtime listeners did not connect")
			}
		}
		api := newClient(t, first)
		alice := api.signUp("alice@example.com", "Alpha")
		bob := api.signUp("bob@example.com", "Beta")

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		dial := func(a *App, token string) *websocket.Conn {
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL(), "http")+"/api/v1/realtime",
				&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + token}}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.CloseNow() })
			return c
		}
		if _, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(second.URL(), "http")+"/api/v1/realtime", nil); err == nil || res.StatusCode != 401 {
			t.Fatalf("anonymous socket accepted")
		}
		aliceSock := dial(second, alice.Access)
		bobSock := dial(second, bob.Access)
		aliceSock.Write(ctx, websocket.MessageText, []byte(`{"type":"subscribe","topics":["org.`+alice.OrgID+`.chat.1","org.`+bob.OrgID+`"]}`))
		_, ack, rerr := aliceSock.Read(ctx)
		if !strings.Contains(string(ack), `"denied":["org.`+bob.OrgID+`"]`) {
			t.Fatalf("ack = %s (%v)", ack, rerr)
		}
		// An event of Bob's org, recorded on the first replica, reaches Bob's
		// socket on the second, and never Alice's.
		var ev events.Event
		first.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			ev, err = first.Events.Record(ctx, tx, events.Event{OrgID: bob.OrgID, Type: "test.ping", SubjectID: "x"})
			return err
		})
		readUntil := func(c *websocket.Conn, want string) []string {
			var seen []string
			for {
				_, frame, err := c.Read(ctx)
				if err != nil {
					t.Fatalf("waiting for %s: %v (saw %v)", want, err, seen)
				}
				seen = append(seen, string(frame))
				if strings.Contains(string(frame), want) {
					return seen
				}
			}
		}
		readUntil(bobSock, `"id":"`+ev.ID+`"`)
		// Bob's event has fanned out; anything of it for Alice came before this.
		first.Hub.Publish(ctx, realtime.Message{Topic: "org." + alice.OrgID + ".chat.1", Type: "typing"})
		for _, f := range readUntil(aliceSock, `"type":"typing"`) {
			if strings.Contains(f, bob.OrgID) {
				t.Fatalf("alice received bob's frame %s", f)
			}
		}

		// Bob reconnects with ?since= and gets what he missed meanwhile.
		bobSock.Close(websocket.StatusNormalClosure, "")
		var missed events.Event
		first.DB.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			missed, err = first.Events.Record(ctx, tx, events.Event{OrgID: bob.OrgID, Type: "test.missed"})
			return err
		})
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(second.URL(), "http")+"/api/v1/realtime?since="+ev.ID,
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + bob.Access}}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		readUntil(c, `"id":"`+missed.ID+`"`)
	})
}

// Shutdown lets a running event delivery finish before it returns.
func TestShutdownFinishesRunningWork(t *testing.T) {
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		started, finished := make(chan struct{}), atomic.Bool{}
		a := startApp(t, testConfig(t, b), func(a *App) {
			a.Events.Subscribe("slow", "test.slow", func(ctx context.Context, tx bun.Tx, ev events.Event) error {
				close(started)
				time.Sleep(700 * time.Millisecond)
				finished.Store(true)
				return nil
			})
		})
		err := a.DB.Tx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
			_, err := a.Events.Record(ctx, tx, events.Event{OrgID: "o1", Type: "test.slow"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("delivery never started")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if !finished.Load() {
			t.Fatal("shutdown returned before the running job finished")
		}
		if _, err := http.Get(a.URL() + "/healthz"); err == nil {
			t.Fatal("still taking requests after shutdown")
		}
	})
}

func TestMetricsToken(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t, dbtest.New(t, db.SQLite, true))
	cfg.MetricsToken = "s3cret-metrics-token"
	a := startApp(t, cfg)
	if res, _ := get(t, a.URL()+"/metrics"); res.StatusCode != 401 {
		t.Fatalf("metrics without the token: %d", res.StatusCode)
	}
	if res, body := getAuth(t, a.URL()+"/metrics", "s3cret-metrics-token"); res.StatusCode != 200 || !strings.Contains(body, "kite_jobs") {
		t.Fatalf("metrics with the token: %d", res.StatusCode)
	}
}
