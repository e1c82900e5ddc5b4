package inbox

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kite-crm/kite/internal/crm"
	"github.com/kite-crm/kite/internal/platform/linkpreview"
	"github.com/kite-crm/kite/internal/web"
)

// Small words and numbers the inbox pages show.

type previewData = linkpreview.Preview

func channelLabel(ch ChannelRecord) string {
	name := ch.Name
	if ch.Username != "" {
		name = "@" + ch.Username
	}
	switch ch.Kind {
	case "telegram":
		return "Telegram " + name
	case "email":
		return "Email " + name
	}
	return name
}

func channelIcon(kind string) string {
	if kind == "email" {
		return "mail"
	}
	return "telegram"
}

// chatRowSummary is what a screen reader hears after a row's name.
func chatRowSummary(c Chat, members map[string]string) string {
	parts := []string{}
	if c.ChannelKind != "" {
		parts = append(parts, "on "+c.ChannelKind)
	}
	if c.AssigneeID != nil {
		parts = append(parts, "assigned to "+members[*c.AssigneeID])
	}
	if c.Status == ChatClosed {
		parts = append(parts, "closed")
	}
	return ", " + strings.Join(parts, ", ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// senderKey tells runs of one sender apart in the page.
func senderKey(m Message) string {
	return m.Direction + ":" + m.SenderKind + ":" + m.SenderID + ":" + m.SenderName
}

func senderName(m Message) string {
	if m.SenderName != "" {
		return m.SenderName
	}
	switch m.SenderKind {
	case SenderAgent:
		return "Agent"
	case SenderCampaign:
		return "Campaign"
	case SenderUser:
		return "Teammate"
	}
	return "Customer"
}

// quoteText is a message in one short line, for reply quotes.
func quoteText(m Message) string {
	if t := strings.Join(strings.Fields(m.Text), " "); t != "" {
		return truncate(t, 120)
	}
	return preview(m)
}

func isFileKind(kind string) bool {
	switch kind {
	case "location", "contact":
		return false
	case "sticker":
		return false // a sticker without its file still has its emoji
	}
	return true
}

func attachmentState(a Attachment) string {
	name := fileName(a)
	switch a.Status {
	case "too_big":
		return name + ": too large to fetch from the channel"
	case "failed":
		return name + ": could not be fetched"
	}
	return name + ": loading…"
}

func fileURL(id string) string { return filesPath + "/" + id }

func pictureAlt(a Attachment) string {
	if a.Name != "" {
		return "Picture " + a.Name
	}
	if a.Kind == "sticker" {
		return "Sticker " + a.Emoji
	}
	return "Picture"
}

// dim is a picture's size for its box before it loads (no layout jumps).
func dim(v, fallback int) string {
	if v <= 0 {
		return strconv.Itoa(fallback)
	}
	return strconv.Itoa(v)
}

func mediaLabel(a Attachment) string {
	kind := map[string]string{"voice": "Voice message", "audio": "Audio", "video": "Video", "video_note": "Video message"}[a.Kind]
	if a.Duration > 0 {
		return fmt.Sprintf("%s, %d:%02d", kind, a.Duration/60, a.Duration%60)
	}
	return kind
}

func mapURL(a Attachment) string {
	return fmt.Sprintf("https://www.openstreetmap.org/?mlat=%f&mlon=%f#map=16/%f/%f", a.Latitude, a.Longitude, a.Latitude, a.Longitude)
}

func coords(a Attachment) string { return fmt.Sprintf("%.5f, %.5f", a.Latitude, a.Longitude) }

func fileName(a Attachment) string {
	if a.Name != "" {
		return a.Name
	}
	return map[string]string{"photo": "Picture", "document": "File", "voice": "Voice message", "video": "Video", "audio": "Audio",
		"animation": "Animation", "video_note": "Video message", "sticker": "Sticker"}[a.Kind]
}

// fileSize is a size for people: 12 KB, 3.4 MB.
func fileSize(n int64) string {
	switch {
	case n <= 0:
		return ""
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

func statusLabel(status string) string {
	switch status {
	case StatusQueued:
		return "Sending"
	case StatusSent:
		return "Sent"
	case StatusFailed:
		return "Not sent"
	}
	return status
}

func failReason(m Message) string {
	if m.Error != "" {
		return m.Error
	}
	return "The channel refused this message."
}

func queryEscape(s string) string { return url.QueryEscape(s) }

// countText caps a badge's number.
func countText(n int) string {
	if n > 999 {
		return "999+"
	}
	return strconv.Itoa(n)
}

func chatPath(v contextView, suffix string) string { return inboxPath + "/" + v.Chat.ID + suffix }

func contactName(c crm.Contact) string {
	if n := strings.TrimSpace(c.FirstName + " " + c.LastName); n != "" {
		return n
	}
	if c.Email != "" {
		return c.Email
	}
	return "Unnamed contact"
}

// fieldError is a field's message when form is the one that was refused.
func fieldError(v contextView, form, field string) string {
	if v.Form != form {
		return ""
	}
	return v.Errors.Field(field)
}

// firstFieldError is one field's message, for forms that show no fields.
func firstFieldError(e web.FormErrors) string {
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		return e.Fields[k]
	}
	return e.Message
}
