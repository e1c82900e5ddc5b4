package inbox

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/linkpreview"
	"github.com/kite-crm/kite/internal/web"
)

// inboxView is the whole workspace: the list and, when one is open, a chat.
type inboxView struct {
	List          listView
	Open          *chatView
	OrgID, UserID string
	CanWrite      bool
}

// listView is the chat list pane.
type listView struct {
	Query    listQuery
	Chats    []Chat
	Next     string // cursor of the next page
	Hits     []searchHit
	Channels []ChannelRecord
	Members  map[string]string // user id -> name
	OpenID   string
	Now      time.Time
	Loc      *time.Location
}

// searchHit is a message that matched the list's search.
type searchHit struct {
	Message   Message
	ChatTitle string
	Parts     []markPart
}

// markPart is a run of text, marked when it matched the search.
type markPart struct {
	Text string
	Mark bool
}

// chatView is the open chat: header, messages and composer.
type chatView struct {
	Chat         Chat
	Channel      ChannelRecord
	Items        []msgItem // oldest first
	Older        string    // cursor of the page before
	Newer        bool      // a search hit opened the chat: later messages follow
	Highlight    string    // the message a search hit jumped to
	Q            string
	AssigneeName string
	OrgID        string
	UserID       string
	Loc          *time.Location
	Now          time.Time
	CanWrite     bool
}

// msgItem is one message as the window draws it.
type msgItem struct {
	Message Message
	Day     string // set when the day changes before this message: its label
	DayKey  string // the message's day, YYYY-MM-DD in the org's zone
	First   bool   // the first of a run by one sender: shows the name
	Unread  bool   // the first unread message: the divider goes before it
	Quote   *Message
	Parts   []web.TextPart
	Marks   []markPart // the text with the search's words marked, when highlighted
	Link    string     // the first web address, for its preview card
}

// sameRun is how close in time two messages of one sender must be to be
// drawn as one group.
const sameRun = 10 * time.Minute

// loadChat reads the chat to open: its latest page, or the page around a
// search hit (messageID).
func (s *Service) loadChat(r *http.Request, c *org.WebCtx, chatID, messageID string, ws workspace) (chatView, error) {
	ctx := r.Context()
	chat, err := s.Chat(ctx, c.Actor, chatID)
	if err != nil {
		return chatView{}, err
	}
	cv := chatView{Chat: chat, OrgID: c.Org.ID, UserID: c.Actor.UserID, Loc: c.Loc, Now: c.Now, CanWrite: c.Can(org.InboxWrite),
		Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	var list []Message
	if messageID != "" {
		if list, cv.Older, cv.Newer, err = s.MessagesAround(ctx, c.Actor, chatID, messageID, messagesPerPage/2); err != nil {
			return cv, err
		}
		cv.Highlight = messageID
	} else if list, cv.Older, err = s.Messages(ctx, c.Actor, chatID, "", messagesPerPage); err != nil {
		return cv, err
	}
	if err := s.fillMessages(r, &cv, list, cv.Older, chat.UnreadCount); err != nil {
		return cv, err
	}
	cv.fillMeta(ws)
	return cv, nil
}

// workspace is what every pane of the inbox names things by: the org's
// channels and its members' names, read once per page.
type workspace struct {
	channels []ChannelRecord
	members  map[string]string // user id -> name
}

func (s *Service) workspaceOf(ctx context.Context, orgID string) (workspace, error) {
	ws := workspace{members: map[string]string{}}
	var err error
	if ws.channels, err = s.Channels(ctx, orgID); err != nil {
		return ws, err
	}
	members, err := s.orgs.Members(ctx, orgID)
	for _, m := range members {
		ws.members[m.UserID] = m.Name
	}
	return ws, err
}

// fillMeta sets what the chat's header shows: its channel and assignee.
func (cv *chatView) fillMeta(ws workspace) {
	for _, ch := range ws.channels {
		if ch.ID == cv.Chat.ChannelID {
			cv.Channel = ch
		}
	}
	if cv.Chat.AssigneeID != nil {
		cv.AssigneeName = ws.members[*cv.Chat.AssigneeID]
	}
}

// fillMessages turns a page of messages (newest first) into the window's
// items, oldest first, with day dividers, sender runs, reply quotes and
// the "new messages" divider before the first of unread inbound ones.
func (s *Service) fillMessages(r *http.Request, cv *chatView, newestFirst []Message, older string, unread int) error {
	cv.Older = older
	quoted, err := s.quoted(r.Context(), cv.OrgID, newestFirst)
	if err != nil {
		return err
	}
	firstUnread := ""
	if unread > 0 {
		seen := 0
		for _, m := range newestFirst {
			if m.Direction == In {
				seen++
				firstUnread = m.ID
				if seen == unread {
					break
				}
			}
		}
	}
	list := slices.Clone(newestFirst)
	slices.Reverse(list)
	cv.Items = buildItems(list, cv.Loc, cv.Now, firstUnread)
	for i := range cv.Items {
		it := &cv.Items[i]
		if it.Message.ReplyToID != nil {
			if q, ok := quoted[*it.Message.ReplyToID]; ok {
				it.Quote = &q
			}
		}
		if it.Message.ID == cv.Highlight && cv.Q != "" {
			it.Marks = highlight(it.Message.Text, cv.Q)
		}
	}
	return nil
}

// buildItems lays out messages (oldest first): a day label where the day
// changes, and which message starts a run of one sender.
func buildItems(list []Message, loc *time.Location, now time.Time, firstUnread string) []msgItem {
	if loc == nil {
		loc = time.UTC
	}
	items := make([]msgItem, len(list))
	for i, m := range list {
		at := m.CreatedAt.In(loc)
		it := msgItem{Message: m, DayKey: at.Format(time.DateOnly), Parts: web.Linkify(m.Text), Unread: m.ID == firstUnread}
		if urls := linkpreview.URLs(m.Text); len(urls) > 0 {
			it.Link = urls[0]
		}
		if i == 0 || items[i-1].DayKey != it.DayKey {
			it.Day = dayLabel(at, now.In(loc))
		}
		it.First = i == 0 || it.Day != "" || it.Unread || !sameSender(list[i-1], m) || m.CreatedAt.Sub(list[i-1].CreatedAt) > sameRun
		items[i] = it
	}
	return items
}

// sameSender reports whether two messages come from the same person.
func sameSender(a, b Message) bool {
	return a.Direction == b.Direction && a.SenderKind == b.SenderKind && a.SenderID == b.SenderID && a.SenderName == b.SenderName
}

// dayLabel names a day for the divider: Today, Yesterday, a weekday and
// date this year, or a full date.
func dayLabel(t, now time.Time) string {
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.Date()
	today := time.Date(y2, m2, d2, 0, 0, 0, 0, now.Location())
	day := time.Date(y1, m1, d1, 0, 0, 0, 0, t.Location())
	switch {
	case day.Equal(today):
		return "Today"
	case day.Equal(today.AddDate(0, 0, -1)):
		return "Yesterday"
	case y1 == y2:
		return t.Format("Monday, 2 January")
	}
	return t.Format("2 January 2006")
}

// snippet cuts text to about n runes around the first word of q it holds.
func snippet(text, q string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	at := -1
	lower := strings.ToLower(text)
	for _, w := range strings.Fields(strings.ToLower(q)) {
		if i := strings.Index(lower, w); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	runes := []rune(text)
	start := 0
	if at > 0 {
		start = max(0, utf8.RuneCountInString(text[:at])-n/3)
	}
	end := min(len(runes), start+n)
	out := string(runes[start:end])
	if start > 0 {
		out = "…" + out
	}
	if end < len(runes) {
		out += "…"
	}
	return out
}

// highlight marks the words of q in text, ignoring case: whole words and
// words that start with them, as the search matched.
func highlight(text, q string) []markPart {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return []markPart{{Text: text}}
	}
	var out []markPart
	add := func(s string, mark bool) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Mark == mark {
			out[n-1].Text += s
			return
		}
		out = append(out, markPart{Text: s, Mark: mark})
	}
	i := 0
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isWordRune(r) {
			add(text[i:i+size], false)
			i += size
			continue
		}
		j := i
		for j < len(text) {
			r2, s2 := utf8.DecodeRuneInString(text[j:])
			if !isWordRune(r2) {
				break
			}
			j += s2
		}
		word := strings.ToLower(text[i:j])
		hit := false
		for _, w := range words {
			if strings.HasPrefix(word, w) {
				hit = true
				break
			}
		}
		add(text[i:j], hit)
		i = j
	}
	return out
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// timeOf is a message's time of day in the org's zone.
func timeOf(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("15:04")
}

// listTime is the chat list's time: the time today, the weekday this
// week, else the date.
func listTime(t *time.Time, now time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	at, n := t.In(loc), now.In(loc)
	switch {
	case at.Year() == n.Year() && at.YearDay() == n.YearDay():
		return at.Format("15:04")
	case n.Sub(at) < 6*24*time.Hour:
		return at.Format("Mon")
	case at.Year() == n.Year():
		return at.Format("2 Jan")
	}
	return at.Format("2 Jan 2006")
}
