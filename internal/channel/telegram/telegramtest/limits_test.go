package telegramtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

// retryAfter returns the retry_after of a 429 from the client library.
func retryAfter(t *testing.T, err error) int {
	t.Helper()
	var tooMany *bot.TooManyRequestsError
	if !errors.As(err, &tooMany) {
		t.Fatalf("want 429, got %v", err)
	}
	return tooMany.RetryAfter
}

func TestPrivateChatToleratesABurstOfThree(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	client := newClient(t, srv, token)
	ctx := testContext(t)
	for i := range 3 {
		if _, err := client.SendMessage(ctx, sendText(ann().ID, "burst")); err != nil {
			t.Fatalf("burst send %d: %v", i, err)
		}
	}
	// One per second on average: three messages use up three seconds.
	_, err := client.SendMessage(ctx, sendText(ann().ID, "too fast"))
	if got := retryAfter(t, err); got != 3 {
		t.Fatalf("retry_after = %d, want 3", got)
	}
	early := call(t, srv, token, "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"ignoring retry_after"}})
	wantError(t, early, http.StatusTooManyRequests, "Too Many Requests: retry after 3")
	if early.Parameters.RetryAfter != 3 {
		t.Fatalf("parameters.retry_after = %d", early.Parameters.RetryAfter)
	}
	if st := srv.Stats(token); st.LimitViolations != 1 || st.EarlySends != 1 || st.Sent != 3 || len(srv.Sent(token)) != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestGroupAllowsTwentyPerMinute(t *testing.T) {
	srv := newServer(t)
	group := telegramtest.Chat{ID: -500, Type: telegramtest.ChatSupergroup, Title: "Customers"}
	srv.GroupSays(token, group, bob(), "hi all")
	client := newClient(t, srv, token)
	ctx := testContext(t)
	for i := range 20 {
		if _, err := client.SendMessage(ctx, sendText(group.ID, "announcement")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	// A window, not a bucket: the 21st waits until the first leaves the minute.
	_, err := client.SendMessage(ctx, sendText(group.ID, "one too many"))
	if got := retryAfter(t, err); got != 60 {
		t.Fatalf("retry_after = %d, want 60", got)
	}
	// The limit is per chat: a private chat is unaffected.
	srv.UserSays(token, ann(), "hi")
	if _, err := client.SendMessage(ctx, sendText(ann().ID, "private")); err != nil {
		t.Fatalf("private chat: %v", err)
	}
}

func TestBotWideLimitCoversAllChats(t *testing.T) {
	srv := newServer(t)
	client := newClient(t, srv, token)
	ctx := testContext(t)
	for i := range 32 {
		srv.AddChat(token, telegramtest.Chat{ID: int64(2000 + i), Type: telegramtest.ChatPrivate})
	}
	for i := range 30 {
		if _, err := client.SendMessage(ctx, sendText(int64(2000+i), "broadcast")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	_, err := client.SendMessage(ctx, sendText(2030, "31st in a second"))
	if got := retryAfter(t, err); got != 1 {
		t.Fatalf("retry_after = %d, want 1", got)
	}
	// The deadline covers the whole bot, even a chat never written to.
	_, err = client.SendMessage(ctx, sendText(2031, "another chat"))
	if got := retryAfter(t, err); got != 1 {
		t.Fatalf("retry_after = %d, want 1", got)
	}
	if st := srv.Stats(token); st.Sent != 30 || st.LimitViolations != 1 || st.EarlySends != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAClientThatWaitsAndPacesItselfIsNeverRefused(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{
		PerPrivateChat: telegramtest.Rate{Count: 1, Per: 100 * time.Millisecond, Burst: 2},
	}))
	srv.UserSays(token, ann(), "hi")
	send := func() answer {
		return call(t, srv, token, "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"x"}})
	}
	if !send().OK || !send().OK {
		t.Fatal("burst of two refused")
	}
	refused := send()
	wantError(t, refused, http.StatusTooManyRequests, "Too Many Requests: retry after 1")
	time.Sleep(time.Duration(refused.Parameters.RetryAfter) * time.Second)
	for i := range 5 {
		if a := send(); !a.OK {
			t.Fatalf("paced send %d: %+v", i, a)
		}
		time.Sleep(120 * time.Millisecond)
	}
	if st := srv.Stats(token); st.LimitViolations != 1 || st.EarlySends != 0 || st.Sent != 7 {
		t.Fatalf("stats %+v", st)
	}
}

func TestForceRetryAfterAnswersTheNextSendWith429(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	srv.UserSays(token, bob(), "hi")
	client := newClient(t, srv, token)
	ctx := testContext(t)

	srv.ForceRetryAfter(token, ann().ID, 7)
	_, err := client.SendMessage(ctx, sendText(ann().ID, "first"))
	if got := retryAfter(t, err); got != 7 {
		t.Fatalf("retry_after = %d, want 7", got)
	}
	early := call(t, srv, token, "sendMessage", url.Values{"chat_id": {strconv.FormatInt(ann().ID, 10)}, "text": {"x"}})
	wantError(t, early, http.StatusTooManyRequests, "Too Many Requests: retry after 7")
	if _, err := client.SendMessage(ctx, sendText(bob().ID, "other chats are fine")); err != nil {
		t.Fatalf("other chat: %v", err)
	}
	if st := srv.Stats(token); st.Forced != 1 || st.EarlySends != 1 || st.LimitViolations != 0 || st.Sent != 1 {
		t.Fatalf("stats %+v", st)
	}
}
