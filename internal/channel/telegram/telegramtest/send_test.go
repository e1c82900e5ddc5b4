package telegramtest_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/kite-crm/kite/internal/channel/telegram/telegramtest"
)

func TestSendMessageReturnsTheFullMessage(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	client := newClient(t, srv, token)
	ctx := testContext(t)
	first, err := client.SendMessage(ctx, sendText(ann().ID, "see https://kite.example/help"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.SendMessage(ctx, sendText(ann().ID, "second"))
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != 2 || second.ID != 3 {
		t.Fatalf("message ids %d, %d continue the chat's numbering after the user's message 1", first.ID, second.ID)
	}
	if first.From == nil || !first.From.IsBot || first.From.ID != 123456 || first.Chat.ID != ann().ID ||
		first.Chat.Type != "private" || time.Since(time.Unix(int64(first.Date), 0)) > time.Minute {
		t.Fatalf("message %+v", first)
	}
	if len(first.Entities) != 1 || first.Entities[0].Type != models.MessageEntityTypeURL {
		t.Fatalf("entities %+v", first.Entities)
	}
	sent := srv.Sent(token)
	if len(sent) != 2 || sent[0].MessageID != 2 || sent[0].Kind != "text" || sent[1].Text != "second" {
		t.Fatalf("sent %+v", sent)
	}
}

func TestTextLimitCountsUTF16CodeUnits(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	client := newClient(t, srv, token)
	ctx := testContext(t)

	// Each emoji is outside the BMP: two UTF-16 code units, four UTF-8 bytes.
	longest := strings.Repeat("😀", 2048)
	m, err := client.SendMessage(ctx, sendText(ann().ID, longest))
	if err != nil || m.Text != longest {
		t.Fatalf("4096 code units: %v", err)
	}
	_, err = client.SendMessage(ctx, sendText(ann().ID, longest+"a"))
	if !errors.Is(err, bot.ErrorBadRequest) {
		t.Fatalf("4097 code units: %v", err)
	}
	params := url.Values{"chat_id": {"1001"}, "text": {longest + "a"}}
	wantError(t, call(t, srv, token, "sendMessage", params), http.StatusBadRequest, "Bad Request: message is too long")
	params.Set("text", " \n")
	wantError(t, call(t, srv, token, "sendMessage", params), http.StatusBadRequest, "Bad Request: message text is empty")
	if n := len(srv.Sent(token)); n != 1 {
		t.Fatalf("%d messages accepted, want 1", n)
	}
}

func TestSendToUnknownChatIsChatNotFound(t *testing.T) {
	srv := newServer(t)
	_, err := newClient(t, srv, token).SendMessage(testContext(t), sendText(4242, "hello?"))
	if !errors.Is(err, bot.ErrorBadRequest) || !strings.Contains(err.Error(), "chat not found") {
		t.Fatalf("err = %v", err)
	}
	wantError(t, call(t, srv, token, "sendMessage", url.Values{"chat_id": {"4242"}, "text": {"x"}}),
		http.StatusBadRequest, "Bad Request: chat not found")
	wantError(t, call(t, srv, token, "sendMessage", url.Values{"chat_id": {"@nobody_here"}, "text": {"x"}}),
		http.StatusBadRequest, "Bad Request: chat not found")
}

func TestBlockedAndKickedChatsAreForbidden(t *testing.T) {
	srv := newServer(t)
	client := newClient(t, srv, token)
	ctx := testContext(t)
	srv.UserSays(token, ann(), "hi")
	srv.UserBlocksBot(token, ann())
	_, err := client.SendMessage(ctx, sendText(ann().ID, "still there?"))
	if !errors.Is(err, bot.ErrorForbidden) {
		t.Fatalf("err = %v", err)
	}
	wantError(t, call(t, srv, token, "sendMessage", url.Values{"chat_id": {"1001"}, "text": {"x"}}),
		http.StatusForbidden, "Forbidden: bot was blocked by the user")
	wantError(t, call(t, srv, token, "sendChatAction", url.Values{"chat_id": {"1001"}, "action": {"typing"}}),
		http.StatusForbidden, "Forbidden: bot was blocked by the user")

	srv.UserUnblocksBot(token, ann())
	if _, err := client.SendMessage(ctx, sendText(ann().ID, "welcome back")); err != nil {
		t.Fatalf("after unblock: %v", err)
	}

	group := telegramtest.Chat{ID: -777, Type: telegramtest.ChatGroup, Title: "Team"}
	srv.GroupSays(token, group, bob(), "hello bot")
	srv.BlockChat(token, group.ID)
	wantError(t, call(t, srv, token, "sendMessage", url.Values{"chat_id": {"-777"}, "text": {"x"}}),
		http.StatusForbidden, "Forbidden: bot was kicked from the group chat")
	srv.UnblockChat(token, group.ID)
	if _, err := client.SendMessage(ctx, sendText(group.ID, "back")); err != nil {
		t.Fatalf("after UnblockChat: %v", err)
	}
}

func TestRepliesNeedAnExistingMessage(t *testing.T) {
	srv := newServer(t)
	client := newClient(t, srv, token)
	ctx := testContext(t)
	question := srv.UserSays(token, ann(), "where is my parcel?")
	m, err := client.SendMessage(ctx, &bot.SendMessageParams{ChatID: ann().ID, Text: "on its way",
		ReplyParameters: &models.ReplyParameters{MessageID: question.Message.MessageID}})
	if err != nil {
		t.Fatal(err)
	}
	if m.ReplyToMessage == nil || m.ReplyToMessage.Text != "where is my parcel?" {
		t.Fatalf("reply_to_message %+v", m.ReplyToMessage)
	}
	wantError(t, callJSON(t, srv, token, "sendMessage", map[string]any{"chat_id": 1001, "text": "x",
		"reply_parameters": map[string]any{"message_id": 99}}),
		http.StatusBadRequest, "Bad Request: message to be replied not found")
	if a := callJSON(t, srv, token, "sendMessage", map[string]any{"chat_id": 1001, "text": "x",
		"reply_parameters": map[string]any{"message_id": 99, "allow_sending_without_reply": true}}); !a.OK {
		t.Fatalf("allow_sending_without_reply: %+v", a)
	}
}

func TestSendChatActionChecksTheActionAndIsNotRateLimited(t *testing.T) {
	srv := newServer(t)
	srv.UserSays(token, ann(), "hi")
	client := newClient(t, srv, token)
	ctx := testContext(t)
	for range 10 {
		ok, err := client.SendChatAction(ctx, &bot.SendChatActionParams{ChatID: ann().ID,
			Action: models.ChatActionTyping})
		if err != nil || !ok {
			t.Fatalf("typing: %v %v", ok, err)
		}
	}
	wantError(t, call(t, srv, token, "sendChatAction", url.Values{"chat_id": {"1001"}, "action": {"dancing"}}),
		http.StatusBadRequest, "Bad Request: wrong parameter action in request")
	for i := range 3 { // the private chat's burst is still intact
		if _, err := client.SendMessage(ctx, sendText(ann().ID, "after typing")); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
}

func TestConcurrentSendsKeepPerChatMessageIDsUnique(t *testing.T) {
	srv := newServer(t, telegramtest.WithLimits(telegramtest.Limits{}))
	const chats, each = 8, 50
	var wg sync.WaitGroup
	for c := range chats {
		user := telegramtest.User{ID: int64(3000 + c), FirstName: "U"}
		srv.UserSays(token, user, "hi")
		for range 2 { // two goroutines per chat
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := newClient(t, srv, token)
				for range each / 2 {
					if _, err := client.SendMessage(testContext(t), sendText(user.ID, "x")); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	seen := make(map[[2]int64]bool)
	for _, m := range srv.Sent(token) {
		key := [2]int64{m.ChatID, int64(m.MessageID)}
		if seen[key] || m.MessageID < 2 || m.MessageID > each+1 {
			t.Fatalf("message id %d in chat %d repeated or out of range", m.MessageID, m.ChatID)
		}
		seen[key] = true
	}
	if st := srv.Stats(token); st.Sent != chats*each || len(seen) != chats*each {
		t.Fatalf("stats %+v, %d unique", st, len(seen))
	}
}
