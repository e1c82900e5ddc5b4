package inbox

import (
	"encoding/json"
	"time"

	"github.com/uptrace/bun"
)

// Chat kinds, statuses and message directions, statuses and senders.
const (
	ChatPrivate = "private"
	ChatGroup   = "group"

	ChatOpen   = "open"
	ChatClosed = "closed"

	In  = "in"
	Out = "out"

	StatusQueued   = "queued"
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusReceived = "received"

	SenderContact  = "contact"
	SenderUser     = "user"
	SenderAgent    = "agent"
	SenderCampaign = "campaign"
)

// Channel statuses: a broken channel lost its credential (a revoked bot
// token) and waits for an admin; a disconnected one is kept for history.
const (
	ChannelActive       = "active"
	ChannelBroken       = "broken"
	ChannelDisconnected = "disconnected"
)

// ChannelRecord is a connected account of a channel kind: a Telegram bot, a
// mailbox. Its credential is sealed and never leaves the server.
type ChannelRecord struct {
	bun.BaseModel `bun:"table:channels"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	Kind          string    `bun:"kind" json:"kind" enum:"telegram,email"`
	Name          string    `bun:"name" json:"name"`
	ExternalID    string    `bun:"external_id" json:"external_id" doc:"The account's id at the channel (a bot's user id)"`
	Username      string    `bun:"username" json:"username"`
	Status        string    `bun:"status" json:"status" enum:"active,broken,disconnected"`
	StatusReason  string    `bun:"status_reason" json:"status_reason"`
	SecretSealed  string    `bun:"secret_sealed" json:"-"`
	WebhookKey    *string   `bun:"webhook_key" json:"-"`
	Delivery      string    `bun:"delivery" json:"delivery" enum:"webhook,polling" doc:"How updates arrive"`
	PollOffset    int64     `bun:"poll_offset" json:"-"`
	CreatedBy     string    `bun:"created_by" json:"created_by"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`
}

// Chat is one conversation on a channel: a private chat with a person or a
// group the bot is in.
type Chat struct {
	bun.BaseModel      `bun:"table:chats,alias:chat"`
	ID                 string     `bun:"id,pk" json:"id"`
	OrgID              string     `bun:"org_id" json:"-"`
	ChannelID          string     `bun:"channel_id" json:"channel_id"`
	ChannelKind        string     `bun:"channel_kind" json:"channel_kind" enum:"telegram,email"`
	ExternalID         string     `bun:"external_id" json:"external_id"`
	Kind               string     `bun:"kind" json:"kind" enum:"private,group"`
	Title              string     `bun:"title" json:"title"`
	ContactID          *string    `bun:"contact_id" json:"contact_id"`
	AssigneeID         *string    `bun:"assignee_id" json:"assignee_id"`
	Status             string     `bun:"status" json:"status" enum:"open,closed"`
	Blocked            bool       `bun:"blocked" json:"blocked" doc:"The person blocked the bot: sends will fail"`
	UnreadCount        int        `bun:"unread_count,scanonly" json:"unread_count" doc:"Unread inbound messages for the caller"`
	LastMessageAt      *time.Time `bun:"last_message_at" json:"last_message_at"`
	LastMessagePreview string     `bun:"last_message_preview" json:"last_message_preview"`
	SortAt             time.Time  `bun:"sort_at" json:"-"`
	// LastInboundSeq is the highest channel number of a received message.
	LastInboundSeq *int64    `bun:"last_inbound_seq" json:"-"`
	CreatedAt      time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at" json:"updated_at"`
}

// Attachment is a file, sticker, location or contact card in a message.
// Files received from a channel are fetched in the background: FileID is
// set (and Status "ready") once the bytes are in Kite's blob storage.
type Attachment struct {
	Kind       string  `json:"kind" enum:"photo,document,voice,video,audio,sticker,animation,location,contact,video_note"`
	FileID     string  `json:"file_id,omitempty" doc:"Kite's file id; download at /api/v1/files/{file_id}"`
	Status     string  `json:"status,omitempty" enum:"pending,ready,too_big,failed," doc:"For files: whether the bytes are in Kite yet"`
	Name       string  `json:"name,omitempty"`
	MIME       string  `json:"mime,omitempty"`
	Size       int64   `json:"size,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	Duration   int     `json:"duration,omitempty"`
	Emoji      string  `json:"emoji,omitempty"`
	Latitude   float64 `json:"latitude,omitempty"`
	Longitude  float64 `json:"longitude,omitempty"`
	Phone      string  `json:"phone,omitempty"`
	FirstName  string  `json:"first_name,omitempty"`
	LastName   string  `json:"last_name,omitempty"`
	ExternalID string  `json:"-"` // the channel's file id, to fetch it
}

// attachmentJSON keeps the channel's file id in storage (it is hidden in the API).
type attachmentJSON struct {
	Attachment
	ExternalID string `json:"external_id,omitempty"`
}

func encodeAttachments(list []Attachment) string {
	out := make([]attachmentJSON, len(list))
	for i, a := range list {
		out[i] = attachmentJSON{Attachment: a, ExternalID: a.ExternalID}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeAttachments(s string) []Attachment {
	var in []attachmentJSON
	_ = json.Unmarshal([]byte(s), &in)
	out := make([]Attachment, len(in))
	for i, a := range in {
		out[i] = a.Attachment
		out[i].ExternalID = a.ExternalID
	}
	return out
}

// Message is one message of a chat, in either direction.
type Message struct {
	bun.BaseModel   `bun:"table:messages,alias:message"`
	ID              string       `bun:"id,pk" json:"id"`
	OrgID           string       `bun:"org_id" json:"-"`
	ChatID          string       `bun:"chat_id" json:"chat_id"`
	ChannelID       string       `bun:"channel_id" json:"-"`
	Direction       string       `bun:"direction" json:"direction" enum:"in,out"`
	SenderKind      string       `bun:"sender_kind" json:"-"`
	SenderID        string       `bun:"sender_id" json:"-"`
	SenderName      string       `bun:"sender_name" json:"-"`
	Sender          Sender       `bun:"-" json:"sender"`
	Text            string       `bun:"text" json:"text"`
	SearchText      string       `bun:"search_text" json:"-"`
	AttachmentsText string       `bun:"attachments" json:"-"`
	Attachments     []Attachment `bun:"-" json:"attachments"`
	ReplyToID       *string      `bun:"reply_to_id" json:"reply_to_id"`
	// ReplyToExternalID is the channel's id of the replied message, for
	// the channel sending a reply.
	ReplyToExternalID string     `bun:"-" json:"-"`
	Status            string     `bun:"status" json:"status" enum:"queued,sent,failed,received"`
	Error             string     `bun:"error" json:"error" doc:"Why sending failed, in words a person can act on"`
	ExternalID        *string    `bun:"external_id" json:"external_id"`
	Attempts          int        `bun:"attempts" json:"-"`
	EditedAt          *time.Time `bun:"edited_at" json:"edited_at"`
	SentAt            *time.Time `bun:"sent_at" json:"sent_at"`
	CreatedAt         time.Time  `bun:"created_at" json:"created_at"`
}

// Sender says who wrote a message.
type Sender struct {
	Kind string `json:"kind" enum:"contact,user,agent,campaign"`
	ID   string `json:"id" doc:"Contact, user, agent or campaign id; empty for an unknown group member"`
	Name string `json:"name"`
}

// fill derives the API fields from the stored ones.
func (m *Message) fill() {
	m.Sender = Sender{Kind: m.SenderKind, ID: m.SenderID, Name: m.SenderName}
	m.Attachments = decodeAttachments(m.AttachmentsText)
}

// File is a stored blob: an attachment's bytes.
type File struct {
	bun.BaseModel `bun:"table:files"`
	ID            string    `bun:"id,pk" json:"id"`
	OrgID         string    `bun:"org_id" json:"-"`
	Name          string    `bun:"name" json:"name"`
	MIME          string    `bun:"mime" json:"mime"`
	Size          int64     `bun:"size" json:"size"`
	SHA256        string    `bun:"sha256" json:"sha256"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
}

type unreadRow struct {
	bun.BaseModel `bun:"table:chat_unread"`
	UserID        string    `bun:"user_id,pk"`
	ChatID        string    `bun:"chat_id,pk"`
	OrgID         string    `bun:"org_id"`
	Count         int       `bun:"count"`
	LastAt        time.Time `bun:"last_at"`
}
