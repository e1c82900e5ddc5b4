package inbox

import (
	"strings"
	"testing"
	"time"
)

// Within a batch, each chat's messages go in the channel's order; other
// chats keep their places, and ids that are not numbers keep arrival order.
func TestOrderWithinChats(t *testing.T) {
	req := func(chat, id string) *receiveReq {
		return &receiveReq{ch: ChannelRecord{ID: "bot"}, items: []Inbound{{Chat: InboundChat{ExternalID: chat}, ExternalID: id}}}
	}
	reqs := []*receiveReq{req("a", "7"), req("b", "3"), req("a", "5"), req("c", "x"), req("a", "6"), req("b", "2"), req("c", "w")}
	orderWithinChats(reqs)
	var got []string
	for _, r := range reqs {
		got = append(got, r.items[0].Chat.ExternalID+r.items[0].ExternalID)
	}
	if want := "a5 b2 a6 cx a7 b3 cw"; strings.Join(got, " ") != want {
		t.Errorf("order %q, want %q", strings.Join(got, " "), want)
	}
}

// A message numbered before stored ones goes a microsecond before the
// earliest-stored of them, if that keeps it after those numbered before it.
func TestPlaceBefore(t *testing.T) {
	base := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	stored := []seqAt{{1, at(0)}, {3, at(10)}, {4, at(5)}}
	if _, ok := placeBefore(stored, 5); ok {
		t.Error("the newest message was moved")
	}
	if got, ok := placeBefore(stored, 2); !ok || !got.Equal(at(5).Add(-time.Microsecond)) {
		t.Errorf("2 placed at %v, %v; want just before 4, the earliest stored after it", got, ok)
	}
	tight := []seqAt{{1, at(0)}, {3, at(0).Add(time.Microsecond)}}
	if _, ok := placeBefore(tight, 2); ok {
		t.Error("placed with no room between 1 and 3")
	}
}
