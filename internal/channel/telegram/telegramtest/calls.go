package telegramtest

import (
	"maps"
	"slices"
	"sync"
	"time"
)

// Call is one recorded request of a registered bot (including requests
// refused with 401, 404, 429 or 502). Downloads are recorded with Method
// "file" and the path in Params["file_path"].
type Call struct {
	Method string            // canonical spelling, e.g. "sendMessage"; as sent for unknown methods
	Params map[string]string // every parameter as it arrived; JSON values as JSON text
	Files  map[string]FileUpload
	Status int // HTTP status of the answer, equal to error_code on failure
	At     time.Time
}

// FileUpload describes a file part of a recorded request.
type FileUpload struct {
	Name string // file name from the multipart header
	Size int
}

// SentMessage is a message the server accepted from the bot, in the order
// accepted.
type SentMessage struct {
	ChatID    int64
	MessageID int
	Text      string
	Caption   string
	Kind      string // text, photo, document, voice, video, audio or sticker
	ReplyTo   int    // message_id replied to, 0 if none
	FileID    string // of the attached file, if any
	At        time.Time
}

// Stats counts what happened to one bot.
type Stats struct {
	Sent             int // messages accepted
	LimitViolations  int // sends refused with 429 because a flood limit was exceeded
	EarlySends       int // sends made before the retry_after of an earlier 429 had passed
	Forced           int // 429 answers caused by ForceRetryAfter
	Updates          int // updates created for the bot
	Delivered        int // webhook deliveries answered 2xx
	DeliveryFailures int // webhook deliveries that failed and were queued for a retry
}

// callLog is a bot's request record. It has its own lock so recording never
// contends with the bot's state.
type callLog struct {
	mu    sync.Mutex
	calls []Call
}

func (l *callLog) add(c Call) {
	l.mu.Lock()
	l.calls = append(l.calls, c)
	l.mu.Unlock()
}

// Calls returns every request made with token so far, oldest first. The
// result is a copy the caller may keep and modify.
func (s *Server) Calls(token string) []Call {
	b := s.lookup(token)
	if b == nil {
		return nil
	}
	b.log.mu.Lock()
	calls := slices.Clone(b.log.calls)
	b.log.mu.Unlock()
	for i := range calls {
		calls[i].Params = maps.Clone(calls[i].Params)
		calls[i].Files = maps.Clone(calls[i].Files)
	}
	return calls
}

// Sent returns the messages the bot sent successfully, in the order the
// server accepted them.
func (s *Server) Sent(token string) []SentMessage {
	b := s.lookup(token)
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sent)
}

// Stats returns the bot's counters; zero for an unknown token.
func (s *Server) Stats(token string) Stats {
	b := s.lookup(token)
	if b == nil {
		return Stats{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}
