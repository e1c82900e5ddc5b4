package telegramtest

import (
	"slices"
	"testing"
	"time"
)

func TestUTF16Length(t *testing.T) {
	cases := map[string]int{"": 0, "abc": 3, "привет": 6, "😀": 2, "a😀b": 4, "👍🏽": 4}
	for s, want := range cases {
		if got := utf16Len(s); got != want {
			t.Errorf("utf16Len(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestDetectEntities(t *testing.T) {
	got := detectEntities("😀 /start@kite_bot, ask @support_team about #order_42 at https://kite.example/t?id=1. /x")
	want := []MessageEntity{
		{Type: "bot_command", Offset: 3, Length: 15},
		{Type: "mention", Offset: 24, Length: 13},
		{Type: "hashtag", Offset: 44, Length: 9},
		{Type: "url", Offset: 57, Length: 27},
		{Type: "bot_command", Offset: 86, Length: 2},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if e := detectEntities("email me@home or @abc or mid/word"); len(e) != 0 {
		t.Fatalf("false positives %+v", e)
	}
}

func TestWindowAdmitsAtMostBurstInASpan(t *testing.T) {
	r := Rate{Count: 1, Per: time.Second, Burst: 3} // three in any three seconds
	var w window
	start := time.Unix(1000, 0)
	for i := range 3 {
		at := start.Add(time.Duration(i) * 100 * time.Millisecond)
		if d := w.wait(r, at); d != 0 {
			t.Fatalf("event %d must fit, wait %v", i, d)
		}
		w.take(r, at)
	}
	if d := w.wait(r, start.Add(time.Second)); d != 2*time.Second {
		t.Fatalf("fourth waits %v, want 2s", d)
	}
	if d := w.wait(r, start.Add(3*time.Second)); d != 0 {
		t.Fatalf("after the span, wait %v", d)
	}
	if d := (&window{}).wait(Rate{}, start); d != 0 {
		t.Fatalf("zero Rate limits: %v", d)
	}
	if got := retrySeconds(1); got != 1 {
		t.Fatalf("retrySeconds(1ns) = %d", got)
	}
	if got := retrySeconds(2*time.Second + 1); got != 3 {
		t.Fatalf("retrySeconds(2s+1ns) = %d", got)
	}
}

func TestQueueForgetsConfirmedUpdatesWithoutGrowing(t *testing.T) {
	var q updateQueue
	for id := int64(1); id <= 10000; id++ {
		q.push(&pendingUpdate{id: id})
		if id%100 == 0 {
			q.confirmBefore(id - 10)
		}
	}
	if q.pending != 11 || len(q.items)-q.head != 11 {
		t.Fatalf("pending %d, live items %d", q.pending, len(q.items)-q.head)
	}
	if len(q.items) > 3000 {
		t.Fatalf("queue kept %d slots for 11 pending updates", len(q.items))
	}
	if got := q.collect(0, 100); len(got) != 11 || got[0].id != 9990 {
		t.Fatalf("collect: %d updates from %d", len(got), got[0].id)
	}
}

func TestQueueRetriesFailuresOldestFirst(t *testing.T) {
	var q updateQueue
	for id := int64(1); id <= 4; id++ {
		q.push(&pendingUpdate{id: id})
	}
	var taken []*pendingUpdate
	for u := q.nextForDelivery(); u != nil; u = q.nextForDelivery() {
		taken = append(taken, u)
	}
	q.failed(taken[3])
	q.failed(taken[1])
	q.done(taken[0])
	q.done(taken[2])
	if u := q.nextForDelivery(); u == nil || u.id != 2 {
		t.Fatalf("first retry %v, want update 2", u)
	}
	if u := q.nextForDelivery(); u == nil || u.id != 4 {
		t.Fatalf("second retry %v, want update 4", u)
	}
	if u := q.nextForDelivery(); u != nil {
		t.Fatalf("nothing left, got %d", u.id)
	}
	if q.pending != 2 {
		t.Fatalf("pending %d", q.pending)
	}
}
