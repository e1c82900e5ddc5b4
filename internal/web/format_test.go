package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestHumanDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{-5 * time.Second, "0s"},
		{42 * time.Second, "42s"},
		{12*time.Minute + 5*time.Second, "12m 5s"},
		{3*time.Hour + 12*time.Minute + 59*time.Second, "3h 12m"},
		{50 * time.Hour, "2d 2h"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestGroupThousands(t *testing.T) {
	t.Parallel()
	tests := map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"}
	for n, want := range tests {
		if got := groupThousands(n); got != want {
			t.Errorf("groupThousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestQueueRowsKeepsUnknownStates(t *testing.T) {
	t.Parallel()
	rows := queueRows([]QueueCount{{State: "running", Count: 2}, {State: "pending", Count: 7}})
	if len(rows) != len(queueStates)+1 {
		t.Fatalf("%d rows, want every known state plus the unknown one", len(rows))
	}
	last := rows[len(rows)-1]
	if last.State != "pending" || last.Count != "7" {
		t.Errorf("unknown state row = %+v", last)
	}
}

func TestNewRequiresStatus(t *testing.T) {
	t.Parallel()
	if _, err := New(Options{Version: "v1"}); err == nil {
		t.Error("New without Status: want an error")
	}
}

func TestToastSetsHXTrigger(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("HX-Trigger", "contact-updated")
	Toast(h, "Saved", ToastSuccess)

	var events map[string]json.RawMessage
	if err := json.Unmarshal([]byte(h.Get("HX-Trigger")), &events); err != nil {
		t.Fatalf("HX-Trigger is not JSON: %q", h.Get("HX-Trigger"))
	}
	if _, ok := events["contact-updated"]; !ok {
		t.Error("the earlier event was dropped")
	}
	var toast struct{ Message, Kind string }
	if err := json.Unmarshal(events["kite:toast"], &toast); err != nil || toast.Message != "Saved" || toast.Kind != "success" {
		t.Errorf("kite:toast = %s", events["kite:toast"])
	}
}
