package telegram

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/kite-crm/kite/internal/inbox"
)

// The parts of a Bot API Update that Kite reads. Kite decodes updates
// itself rather than through the client library's models: it needs only
// these fields, and an update Kite does not understand must still be
// acknowledged (Telegram would redeliver it forever) instead of failing.

type update struct {
	UpdateID      *int64        `json:"update_id"`
	Message       *message      `json:"message"`
	EditedMessage *message      `json:"edited_message"`
	MyChatMember  *memberUpdate `json:"my_chat_member"`
}

type user struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type fileRef struct {
	FileID   string `json:"file_id"`
	FileSize int64  `json:"file_size"`
	FileName string `json:"file_name"`
	MIMEType string `json:"mime_type"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Duration int    `json:"duration"`
	Emoji    string `json:"emoji"`
}

type message struct {
	MessageID int64     `json:"message_id"`
	From      *user     `json:"from"`
	Chat      chat      `json:"chat"`
	Date      int64     `json:"date"`
	Text      string    `json:"text"`
	Caption   string    `json:"caption"`
	ReplyTo   *message  `json:"reply_to_message"`
	Photo     []fileRef `json:"photo"`
	Document  *fileRef  `json:"document"`
	Voice     *fileRef  `json:"voice"`
	Video     *fileRef  `json:"video"`
	VideoNote *fileRef  `json:"video_note"`
	Audio     *fileRef  `json:"audio"`
	Animation *fileRef  `json:"animation"`
	Sticker   *fileRef  `json:"sticker"`
	Location  *struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	} `json:"location"`
	Contact *struct {
		PhoneNumber string `json:"phone_number"`
		FirstName   string `json:"first_name"`
		LastName    string `json:"last_name"`
	} `json:"contact"`
}

type memberUpdate struct {
	Chat          chat   `json:"chat"`
	From          user   `json:"from"`
	Date          int64  `json:"date"`
	NewChatMember member `json:"new_chat_member"`
}

type member struct {
	Status string `json:"status"`
}

// errMalformed is an update that is not a Bot API update at all.
var errMalformed = errors.New("not a Telegram update")

// decodeUpdate reads one update into what it does to the inbox. An update
// of a kind or chat type Kite does not handle decodes to no items (it is
// acknowledged and ignored); only something that is not an update at all
// is an error.
func decodeUpdate(body []byte) (updateID int64, items []inbox.Inbound, err error) {
	var u update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == nil {
		return 0, nil, errMalformed
	}
	switch {
	case u.Message != nil:
		if it, ok := fromMessage(u.Message, inbox.InboundMessage); ok {
			items = append(items, it)
		}
	case u.EditedMessage != nil:
		if it, ok := fromMessage(u.EditedMessage, inbox.InboundEdit); ok {
			items = append(items, it)
		}
	case u.MyChatMember != nil:
		if it, ok := fromMemberUpdate(u.MyChatMember); ok {
			items = append(items, it)
		}
	}
	return *u.UpdateID, items, nil
}

// chatKind maps Telegram's chat types to the inbox's; ok is false for
// channels and types Kite does not know.
func chatKind(t string) (string, bool) {
	switch t {
	case "private":
		return inbox.ChatPrivate, true
	case "group", "supergroup":
		return inbox.ChatGroup, true
	}
	return "", false
}

func inboundChat(c chat) (inbox.InboundChat, bool) {
	kind, ok := chatKind(c.Type)
	if !ok || c.ID == 0 {
		return inbox.InboundChat{}, false
	}
	title := c.Title
	if kind == inbox.ChatPrivate {
		title = joinName(c.FirstName, c.LastName, c.Username)
	}
	return inbox.InboundChat{ExternalID: strconv.FormatInt(c.ID, 10), Kind: kind, Title: title}, true
}

func person(u *user) inbox.Person {
	if u == nil {
		return inbox.Person{}
	}
	return inbox.Person{Handle: strconv.FormatInt(u.ID, 10), FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
}

func fromMessage(m *message, kind string) (inbox.Inbound, bool) {
	c, ok := inboundChat(m.Chat)
	if !ok || m.From == nil || m.MessageID == 0 {
		return inbox.Inbound{}, false
	}
	it := inbox.Inbound{Kind: kind, Chat: c, From: person(m.From), ExternalID: strconv.FormatInt(m.MessageID, 10),
		Text: m.Text, Attachments: attachments(m)}
	if it.Text == "" {
		it.Text = m.Caption
	}
	if m.Date > 0 {
		it.At = time.Unix(m.Date, 0).UTC()
	}
	if m.ReplyTo != nil && m.ReplyTo.MessageID != 0 {
		it.ReplyTo = strconv.FormatInt(m.ReplyTo.MessageID, 10)
	}
	if it.Text == "" && len(it.Attachments) == 0 {
		return inbox.Inbound{}, false // a service message (someone joined, a pin…)
	}
	return it, true
}

func attachments(m *message) []inbox.Attachment {
	var list []inbox.Attachment
	file := func(kind string, f *fileRef) {
		if f == nil || f.FileID == "" {
			return
		}
		list = append(list, inbox.Attachment{Kind: kind, ExternalID: f.FileID, Status: "pending", Name: f.FileName,
			MIME: f.MIMEType, Size: f.FileSize, Width: f.Width, Height: f.Height, Duration: f.Duration, Emoji: f.Emoji})
	}
	if n := len(m.Photo); n > 0 {
		largest := m.Photo[n-1] // Telegram lists sizes smallest first
		file("photo", &largest)
		list[len(list)-1].MIME = "image/jpeg"
	}
	file("document", m.Document)
	file("voice", m.Voice)
	file("video", m.Video)
	file("video_note", m.VideoNote)
	file("audio", m.Audio)
	file("animation", m.Animation)
	file("sticker", m.Sticker)
	if l := m.Location; l != nil {
		list = append(list, inbox.Attachment{Kind: "location", Latitude: l.Latitude, Longitude: l.Longitude})
	}
	if c := m.Contact; c != nil {
		list = append(list, inbox.Attachment{Kind: "contact", Phone: c.PhoneNumber, FirstName: c.FirstName, LastName: c.LastName})
	}
	return list
}

// fromMemberUpdate reads the bot's own membership changing: a person
// blocking or unblocking it, or the bot joining or leaving a group.
func fromMemberUpdate(m *memberUpdate) (inbox.Inbound, bool) {
	c, ok := inboundChat(m.Chat)
	if !ok {
		return inbox.Inbound{}, false
	}
	it := inbox.Inbound{Chat: c, From: person(&m.From), At: time.Unix(m.Date, 0).UTC()}
	switch m.NewChatMember.Status {
	case "kicked", "left":
		it.Kind = inbox.InboundBlocked
	case "member", "administrator", "creator", "restricted":
		it.Kind = inbox.InboundUnblocked
	default:
		return inbox.Inbound{}, false
	}
	return it, true
}

func joinName(first, last, username string) string {
	n := first
	if last != "" {
		if n != "" {
			n += " "
		}
		n += last
	}
	if n == "" && username != "" {
		n = "@" + username
	}
	return n
}
