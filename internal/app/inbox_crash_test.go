package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
	"github.com/kite-crm/kite/internal/config"
	"github.com/kite-crm/kite/internal/platform/dbtest"
)

// Crash tests: a real Kite process is killed with SIGKILL while Telegram
// delivers a burst of updates, or while it sends a burst of messages, then
// started again on the same database. Nothing may be lost; nothing
// received may be stored twice.

const crashChildEnv = "KITE_INBOX_CRASH_CHILD"

// TestCrashChild is the Kite process the crash tests kill: it runs only
// when started by them.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("started by the crash tests only")
	}
	cfg, err := config.Load(nil, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(context.Background(), cfg, Options{Version: "crash-test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(os.Getenv("KITE_CRASH_READY"), []byte(a.URL()), 0o600)
	select {} // until killed
}

// killableKite runs Kite in a child process on a fixed address, so that
// Telegram's webhook reaches the restarted process too.
type killableKite struct {
	t   *testing.T
	env []string
	url string
	cmd *exec.Cmd
	out *lockedOutput
}

type lockedOutput struct {
	mu  sync.Mutex
	buf []byte
}

func (o *lockedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.buf) < 1<<20 {
		o.buf = append(o.buf, p...)
	}
	return len(p), nil
}

func (o *lockedOutput) String() string { o.mu.Lock(); defer o.mu.Unlock(); return string(o.buf) }

func newKillableKite(t *testing.T, b dbtest.Backend, telegramURL string) *killableKite {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dataDir := t.TempDir()
	if b.Path != "" {
		dataDir = dirOf(b.Path)
	}
	k := &killableKite{t: t, url: "http://" + addr, out: &lockedOutput{}, env: append(os.Environ(),
		crashChildEnv+"=1", "KITE_ADDR="+addr, "KITE_DATA_DIR="+dataDir, "KITE_DATABASE_URL="+b.URL,
		"KITE_PUBLIC_URL=http://"+addr, "KITE_TELEGRAM_API_URL="+telegramURL, "KITE_TELEGRAM_UPDATES=webhook",
		"KITE_SECRET_KEY=crash-test-secret-key-0123456789abcdef", "KITE_NODE_TTL=3s", "KITE_LOG_LEVEL=warn")}
	t.Cleanup(k.kill)
	return k
}

func (k *killableKite) start() {
	k.t.Helper()
	ready := k.t.TempDir() + "/ready"
	k.cmd = exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.timeout=10m")
	k.cmd.Env = append(k.env, "KITE_CRASH_READY="+ready)
	k.cmd.Stdout, k.cmd.Stderr = k.out, k.out
	if err := k.cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(ready); err == nil {
			return
		}
		if time.Now().After(deadline) {
			k.kill()
			k.t.Fatalf("Kite did not start:\n%s", k.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (k *killableKite) kill() {
	if k.cmd != nil && k.cmd.Process != nil {
		k.cmd.Process.Signal(syscall.SIGKILL)
		k.cmd.Wait()
		k.cmd = nil
	}
}

// client is an API client of the child Kite.
func (k *killableKite) client() *client { return &client{t: k.t, base: k.url + "/api/v1"} }

// count runs a counting query on the backend's database.
func count(t *testing.T, b dbtest.Backend, query string, args ...any) int {
	t.Helper()
	d := dbtest.Open(t, b)
	defer d.Close()
	var n int
	if err := d.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInboundUpdatesSurviveSIGKILLExactlyOnce(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip()
	}
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		const total, people = 10000, 250
		tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
		t.Cleanup(tg.Close)
		k := newKillableKite(t, b, tg.URL())
		k.start()
		api := k.client()
		acc := api.signUp("owner@example.com", "Acme")
		c := api.as(acc.Access, acc.OrgID)
		token := "3141:AAH" + fmt.Sprint(time.Now().UnixNano()) + "crashcrashcrash"
		tg.AddBot(token, "crash_bot")
		c.must(201, "POST", "/integrations/telegram/connect", map[string]any{"bot_token": token})

		for i := range total {
			u := telegramtest.User{ID: int64(100000 + i%people), FirstName: "P" + strconv.Itoa(i%people)}
			tg.UserSays(token, u, "update "+strconv.Itoa(i))
		}
		// Kill Kite in the middle of the burst.
		deadline := time.Now().Add(2 * time.Minute)
		for count(t, b, "SELECT COUNT(*) FROM messages") < total/4 {
			if time.Now().After(deadline) {
				t.Fatalf("the burst did not get going:\n%s", k.out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		k.kill()
		atKill := count(t, b, "SELECT COUNT(*) FROM messages")
		if atKill >= total {
			t.Fatalf("all %d updates were stored before the kill; the test proves nothing", atKill)
		}
		k.start()
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
		defer cancel()
		if err := tg.WaitDelivered(ctx, token); err != nil {
			t.Fatalf("updates not delivered after the restart: %v\n%s", err, k.out.String())
		}
		got := count(t, b, "SELECT COUNT(*) FROM messages")
		distinct := count(t, b, "SELECT COUNT(DISTINCT text) FROM messages")
		chats := count(t, b, "SELECT COUNT(*) FROM chats")
		contacts := count(t, b, "SELECT COUNT(*) FROM contacts")
		if got != total || distinct != total || chats != people || contacts != people {
			t.Fatalf("after a kill at %d messages: %d messages (%d distinct), %d chats, %d contacts; want %d, %d, %d",
				atKill, got, distinct, chats, contacts, total, people, people)
		}
		// The unread counts, kept incrementally, agree with what was stored.
		if u := c.must(200, "GET", "/chats/unread", nil); u.Body["total"] != float64(total) {
			t.Fatalf("unread total %v after %d messages", u.Body["total"], total)
		}
		if n := count(t, b, "SELECT COALESCE(SUM(count), 0) FROM chat_unread"); n != total {
			t.Fatalf("per-chat unread counts add up to %d, want %d", n, total)
		}
		t.Logf("killed with %d of %d stored; all %d stored exactly once after the restart", atKill, total, total)
	})
}

func TestQueuedSendsSurviveSIGKILL(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip()
	}
	t.Parallel()
	dbtest.EachBackend(t, true, func(t *testing.T, b dbtest.Backend) {
		const people = 150
		tg := telegramtest.New(telegramtest.WithInsecureWebhooks())
		t.Cleanup(tg.Close)
		k := newKillableKite(t, b, tg.URL())
		k.start()
		api := k.client()
		acc := api.signUp("owner@example.com", "Acme")
		c := api.as(acc.Access, acc.OrgID)
		token := "2718:AAH" + fmt.Sprint(time.Now().UnixNano()) + "sendsendsend"
		tg.AddBot(token, "send_bot")
		c.must(201, "POST", "/integrations/telegram/connect", map[string]any{"bot_token": token})
		for i := range people {
			tg.UserSays(token, telegramtest.User{ID: int64(200000 + i), FirstName: "S" + strconv.Itoa(i)}, "hi")
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tg.WaitDelivered(ctx, token); err != nil {
			t.Fatal(err)
		}
		var chatIDs []string
		for cursor := ""; ; {
			r := c.must(200, "GET", "/chats?limit=200"+cursor, nil)
			for _, it := range r.Items() {
				chatIDs = append(chatIDs, it["id"].(string))
			}
			next, _ := r.Body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = "&cursor=" + next
		}
		// Two messages per chat: the second may go only after the first.
		for round := range 2 {
			for _, id := range chatIDs {
				c.must(202, "POST", "/chats/"+id+"/messages", map[string]any{"text": fmt.Sprintf("%s #%d", id, round)})
			}
		}
		queued := 2 * len(chatIDs)
		deadline := time.Now().Add(time.Minute)
		for len(tg.Sent(token)) < 40 {
			if time.Now().After(deadline) {
				t.Fatalf("sending did not start:\n%s", k.out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		k.kill()
		atKill := len(tg.Sent(token))
		k.start()
		deadline = time.Now().Add(3 * time.Minute)
		for count(t, b, "SELECT COUNT(*) FROM messages WHERE status = 'sent'") < queued {
			if time.Now().After(deadline) {
				t.Fatalf("not every queued message was sent after the restart: %d of %d\n%s",
					count(t, b, "SELECT COUNT(*) FROM messages WHERE status = 'sent'"), queued, k.out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		seen := map[string]int{}
		order := map[int64][]string{}
		for _, m := range tg.Sent(token) {
			seen[m.Text]++
			order[m.ChatID] = append(order[m.ChatID], m.Text)
		}
		twice := 0
		for text, n := range seen {
			if n > 2 {
				t.Errorf("%q sent %d times", text, n)
			}
			twice += n - 1
		}
		if len(seen) != queued {
			t.Fatalf("Telegram got %d distinct messages, want %d", len(seen), queued)
		}
		if twice > 8 {
			t.Errorf("%d messages were sent twice; at most the 8 in flight at the kill may be", twice)
		}
		for chat, texts := range order {
			for i := 1; i < len(texts); i++ {
				if texts[i] < texts[i-1] {
					t.Errorf("chat %d got its messages out of order: %v", chat, texts)
				}
			}
		}
		if st := tg.Stats(token); st.LimitViolations != 0 || st.EarlySends != 0 {
			t.Errorf("limits: %+v", st)
		}
		t.Logf("killed after %d sends; all %d sent, %d twice", atKill, queued, twice)
	})
}
