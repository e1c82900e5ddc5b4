package inbox

import (
	"context"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/kite-crm/kite/internal/org"
	"github.com/kite-crm/kite/internal/platform/httpx"
)

// uploadForm is the multipart body of POST /files.
type uploadForm struct {
	File huma.FormFile `form:"file" required:"true" doc:"The file; its name and content type are kept"`
}

// chatListQuery are the chat list's filters (declared in the input struct
// itself: huma reads parameters only from its own fields).
type chatListQuery struct {
	Status     string `query:"status" enum:"open,closed," doc:"Default: both"`
	AssigneeID string `query:"assignee_id" maxLength:"64" doc:"A member's id, me, or none (unassigned)"`
	ChannelID  string `query:"channel_id" maxLength:"64"`
	ContactID  string `query:"contact_id" maxLength:"64"`
	Q          string `query:"q" maxLength:"200" doc:"Words in the chat's title"`
	Cursor     string `query:"cursor" maxLength:"500"`
	Limit      int    `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
}

type chatOut struct {
	Status int
	Body   Chat
}

// RegisterAPI adds the conversation routes: channels, chats, messages,
// unread counts, search and files.
func (s *Service) RegisterAPI(api huma.API, g *org.Guard) {
	s.registerChannels(api, g)
	s.registerChats(api, g)
	s.registerMessages(api, g)
}

func (s *Service) registerChannels(api huma.API, g *org.Guard) {
	tag := []string{"Channels"}
	huma.Register(api, huma.Operation{OperationID: "list-channels", Method: http.MethodGet, Path: "/channels",
		Summary: "Connected channels (bots, mailboxes) with their status", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, _ *struct{}) (*httpx.Body[httpx.Page[ChannelRecord]], error) {
			list, err := s.Channels(ctx, org.ActorOf(ctx).OrgID)
			return &httpx.Body[httpx.Page[ChannelRecord]]{Body: httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-channel", Method: http.MethodGet, Path: "/channels/{id}",
		Summary: "A channel", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[ChannelRecord], error) {
			c, err := s.ChannelByID(ctx, org.ActorOf(ctx).OrgID, in.ID)
			return &httpx.Body[ChannelRecord]{Body: c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "disconnect-channel", Method: http.MethodDelete, Path: "/channels/{id}",
		Summary: "Disconnect a channel (admin)", Description: "Its chats and messages stay; connecting the same account again brings it back.",
		DefaultStatus: http.StatusNoContent, Tags: tag, Middlewares: g.NeedRecord(org.IntegrationsWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.DisconnectChannel(ctx, org.ActorOf(ctx), in.ID)
		})
}

func (s *Service) registerChats(api huma.API, g *org.Guard) {
	tag := []string{"Chats"}
	huma.Register(api, huma.Operation{OperationID: "list-chats", Method: http.MethodGet, Path: "/chats",
		Summary: "Chats, latest activity first, with the caller's unread counts", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *chatListQuery) (*httpx.Body[httpx.Page[Chat]], error) {
			list, next, err := s.Chats(ctx, org.ActorOf(ctx), ChatFilter{Status: in.Status, AssigneeID: in.AssigneeID, ChannelID: in.ChannelID,
				ContactID: in.ContactID, Q: in.Q, Cursor: in.Cursor, Limit: in.Limit})
			return &httpx.Body[httpx.Page[Chat]]{Body: httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "start-chat", Method: http.MethodPost, Path: "/chats",
		Summary: "Start a chat with a contact on a channel", Description: "201 with a new chat; 200 with the chat that already exists.",
		DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.InboxWrite)},
		func(ctx context.Context, in *httpx.Body[NewChat]) (*chatOut, error) {
			c, created, err := s.StartChat(ctx, org.ActorOf(ctx), in.Body)
			status := http.StatusOK
			if created {
				status = http.StatusCreated
			}
			return &chatOut{status, c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-unread", Method: http.MethodGet, Path: "/chats/unread",
		Summary: "The caller's unread messages: total and per chat", Tags: tag, Middlewares: g.Need(org.InboxRead),
		Description: "`chats` lists the 100 chats with the latest unread messages, latest first; `total` counts every unread message.",
		Responses:   httpx.EncodedAs[Unread](api, "Unread")},
		func(ctx context.Context, in *struct {
			// Read here because the answer may be one gzipped before.
			AcceptEncoding string `header:"Accept-Encoding" hidden:"true"`
		}) (*httpx.Encoded, error) {
			kept, err := s.UnreadAnswer(ctx, org.ActorOf(ctx), httpx.MarshalJSON(api))
			if err != nil {
				return nil, err
			}
			return kept.For(in.AcceptEncoding), nil
		})
	huma.Register(api, huma.Operation{OperationID: "get-chat", Method: http.MethodGet, Path: "/chats/{id}",
		Summary: "A chat", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[Chat], error) {
			c, err := s.Chat(ctx, org.ActorOf(ctx), in.ID)
			return &httpx.Body[Chat]{Body: c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "update-chat", Method: http.MethodPatch, Path: "/chats/{id}",
		Summary: "Assign, close, reopen, or link a chat to another contact", Tags: tag, Middlewares: g.NeedRecord(org.InboxWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body ChatUpdate
		}) (*httpx.Body[Chat], error) {
			c, err := s.UpdateChat(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Chat]{Body: c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "read-chat", Method: http.MethodPatch, Path: "/chats/{id}/read",
		Summary: "Mark the chat read for the caller", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[Chat], error) {
			c, err := s.MarkRead(ctx, org.ActorOf(ctx), in.ID)
			return &httpx.Body[Chat]{Body: c}, err
		})
	huma.Register(api, huma.Operation{OperationID: "chat-typing", Method: http.MethodPost, Path: "/chats/{id}/typing",
		Summary: "Show the channel's typing indicator in the chat for a few seconds", DefaultStatus: http.StatusNoContent,
		Tags: tag, Middlewares: g.NeedRecord(org.InboxWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*struct{}, error) {
			return nil, s.Typing(ctx, org.ActorOf(ctx), in.ID)
		})
}

func (s *Service) registerMessages(api huma.API, g *org.Guard) {
	tag := []string{"Messages"}
	huma.Register(api, huma.Operation{OperationID: "list-messages", Method: http.MethodGet, Path: "/chats/{id}/messages",
		Summary: "A chat's messages, newest first", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *struct {
			ID     string `path:"id" maxLength:"64"`
			Cursor string `query:"cursor" maxLength:"500"`
			Limit  int    `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
		}) (*httpx.Body[httpx.Page[Message]], error) {
			list, next, err := s.Messages(ctx, org.ActorOf(ctx), in.ID, in.Cursor, in.Limit)
			return &httpx.Body[httpx.Page[Message]]{Body: httpx.NewPage(list, next)}, err
		})
	huma.Register(api, huma.Operation{OperationID: "send-message", Method: http.MethodPost, Path: "/chats/{id}/messages",
		Summary: "Send a message (queued; 202)", Description: "The message is stored as `queued` and sent at the channel's pace; " +
			"`message.sent` or `message.failed` follows.", DefaultStatus: http.StatusAccepted, Tags: tag, Middlewares: g.NeedRecord(org.InboxWrite)},
		func(ctx context.Context, in *struct {
			ID   string `path:"id" maxLength:"64"`
			Body Outgoing
		}) (*httpx.Body[Message], error) {
			m, err := s.Send(ctx, org.ActorOf(ctx), in.ID, in.Body)
			return &httpx.Body[Message]{Body: m}, err
		})
	huma.Register(api, huma.Operation{OperationID: "retry-message", Method: http.MethodPost, Path: "/messages/{id}/retry",
		Summary: "Queue a failed message again", Tags: tag, Middlewares: g.NeedRecord(org.InboxWrite)},
		func(ctx context.Context, in *httpx.IDPath) (*httpx.Body[Message], error) {
			m, err := s.Retry(ctx, org.ActorOf(ctx), in.ID)
			return &httpx.Body[Message]{Body: m}, err
		})
	huma.Register(api, huma.Operation{OperationID: "search-messages", Method: http.MethodGet, Path: "/messages/search",
		Summary: "Messages containing every word of q, newest first", Tags: tag, Middlewares: g.Need(org.InboxRead)},
		func(ctx context.Context, in *struct {
			Q      string `query:"q" maxLength:"200"`
			ChatID string `query:"chat_id" maxLength:"64"`
			Limit  int    `query:"limit" minimum:"0" maximum:"200" doc:"Default 50"`
		}) (*httpx.Body[httpx.Page[Message]], error) {
			list, err := s.SearchMessages(ctx, org.ActorOf(ctx), in.Q, in.ChatID, in.Limit)
			return &httpx.Body[httpx.Page[Message]]{Body: httpx.NewPage(list, "")}, err
		})
	huma.Register(api, huma.Operation{OperationID: "upload-file", Method: http.MethodPost, Path: "/files",
		Summary: "Upload a file to attach to a message", Description: "Up to 10 MB; name it in `attachments` of POST /chats/{id}/messages.",
		DefaultStatus: http.StatusCreated, Tags: tag, Middlewares: g.Need(org.InboxWrite), MaxBodyBytes: httpx.MaxUploadBody},
		func(ctx context.Context, in *struct {
			RawBody huma.MultipartFormFiles[uploadForm]
		}) (*httpx.Body[File], error) {
			form := in.RawBody.Data()
			f, err := s.Upload(ctx, org.ActorOf(ctx), form.File.Filename, form.File.ContentType, form.File)
			return &httpx.Body[File]{Body: f}, err
		})
	huma.Register(api, huma.Operation{OperationID: "get-file", Method: http.MethodGet, Path: "/files/{id}",
		Summary: "A file received in a conversation", Tags: tag, Middlewares: g.Need(org.InboxRead),
		Responses: map[string]*huma.Response{"200": {Description: "The file's bytes", Content: map[string]*huma.MediaType{"application/octet-stream": {}}}}},
		func(ctx context.Context, in *httpx.IDPath) (*huma.StreamResponse, error) {
			f, r, err := s.OpenFile(ctx, org.ActorOf(ctx).OrgID, in.ID)
			if err != nil {
				return nil, err
			}
			return &huma.StreamResponse{Body: func(hctx huma.Context) {
				defer r.Close()
				hctx.SetHeader("Content-Type", f.MIME)
				hctx.SetHeader("Content-Length", strconv.FormatInt(f.Size, 10))
				hctx.SetHeader("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
				hctx.SetHeader("X-Content-Type-Options", "nosniff")
				if _, err := io.Copy(hctx.BodyWriter(), r); err != nil {
					s.log.DebugContext(ctx, "file download ended early", "file", f.ID, "err", err)
				}
			}}, nil
		})
}
