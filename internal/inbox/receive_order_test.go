package inbox

import (
	"strings"
	"testing"
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
