package telegramtest

import "time"

// Rate allows at most Burst events in any span of Burst×Per/Count, which is
// Count per Per on average. Burst defaults to Count, making the Rate a plain
// sliding window of Count events per Per; a larger Burst tolerates short
// bursts, a smaller one spreads events out. A Rate whose Count or Per is zero
// imposes no limit.
type Rate struct {
	Count int
	Per   time.Duration
	Burst int
}

// Limits are the flood limits applied to every send* method (sendChatAction
// excluded, as on Telegram).
type Limits struct {
	PerBot         Rate // all messages of one bot
	PerPrivateChat Rate // messages to one private chat
	PerGroup       Rate // messages to one group, supergroup or channel
}

// DefaultLimits returns Telegram's published limits: 30 messages per second
// per bot; one per second per private chat, with bursts of three tolerated
// (at most three in any three seconds); 20 per minute per group.
func DefaultLimits() Limits {
	return Limits{
		PerBot:         Rate{Count: 30, Per: time.Second},
		PerPrivateChat: Rate{Count: 1, Per: time.Second, Burst: 3},
		PerGroup:       Rate{Count: 20, Per: time.Minute},
	}
}

func (r Rate) unlimited() bool { return r.Count <= 0 || r.Per <= 0 }

func (r Rate) burst() int {
	if r.Burst > 0 {
		return r.Burst
	}
	return r.Count
}

// span is the window in which at most burst() events may fall.
func (r Rate) span() time.Duration {
	return time.Duration(int64(r.Per) * int64(r.burst()) / int64(r.Count))
}

// window enforces a Rate as a sliding window. A sliding window rather than a
// token bucket, because Telegram's limits read as windows: "20 messages per
// minute" must not admit 40 in the first minute, and a client that overran
// a group is told to wait tens of seconds, not three. It keeps the times of
// the last burst() events, so memory per chat is bounded by the Rate.
type window struct {
	times []time.Time // ring of the most recent events
	next  int         // once the ring is full, the slot of the oldest event
}

// wait is how long until an event at now would fit r; 0 if it fits.
func (w *window) wait(r Rate, now time.Time) time.Duration {
	if r.unlimited() || len(w.times) < r.burst() {
		return 0
	}
	return max(0, w.times[w.next].Add(r.span()).Sub(now))
}

// take records an event at now that wait accepted.
func (w *window) take(r Rate, now time.Time) {
	if r.unlimited() {
		return
	}
	if n := r.burst(); len(w.times) < n {
		w.times = append(w.times, now)
		return
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
}

// retrySeconds is Telegram's retry_after for a wait: whole seconds, rounded
// up, never below one.
func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}

// admitLocked applies flood control to one send to cs. It answers 429, and
// the send must not happen, when a ForceRetryAfter is pending, when an
// earlier 429's deadline has not passed (an early send), or when the chat or
// bot limit would be exceeded (a limit violation, which sets the deadline).
// Otherwise it counts the send against both limits. b.mu must be held.
func (b *bot) admitLocked(cs *chatState, now time.Time) *apiError {
	if cs.forced > 0 {
		seconds := cs.forced
		cs.forced = 0
		cs.retryUntil = now.Add(time.Duration(seconds) * time.Second)
		b.stats.Forced++
		return tooManyRequests(seconds)
	}
	deadline := cs.retryUntil
	if b.retryUntil.After(deadline) {
		deadline = b.retryUntil
	}
	if now.Before(deadline) {
		b.stats.EarlySends++
		return tooManyRequests(retrySeconds(deadline.Sub(now)))
	}

	chatRate := b.limits.PerGroup
	if cs.chat.Type == ChatPrivate {
		chatRate = b.limits.PerPrivateChat
	}
	chatWait := cs.window.wait(chatRate, now)
	botWait := b.window.wait(b.limits.PerBot, now)
	if chatWait > 0 || botWait > 0 {
		seconds := retrySeconds(max(chatWait, botWait))
		until := now.Add(time.Duration(seconds) * time.Second)
		cs.retryUntil = until
		if botWait > 0 {
			b.retryUntil = until
		}
		b.stats.LimitViolations++
		return tooManyRequests(seconds)
	}
	cs.window.take(chatRate, now)
	b.window.take(b.limits.PerBot, now)
	return nil
}

// ForceRetryAfter makes the next send to chatID answer 429 with retry_after =
// seconds (at least 1) and sets that chat's deadline from then on, so a
// client's handling of 429 can be tested without overloading anything. It is
// counted in Stats.Forced, not as a limit violation.
func (s *Server) ForceRetryAfter(token string, chatID int64, seconds int) {
	b := s.mustBot(token)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.chatLocked(chatID).forced = max(1, seconds)
}
