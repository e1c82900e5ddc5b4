package versioned

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

type key struct{ org, id string }

func TestCacheKeepsTheNewerValueWithinItsBound(t *testing.T) {
	t.Parallel()
	c := New[key, string](8, "test_lookups_total", "Test lookups.")
	c.Put(key{"org", "p"}, 5, "new")
	c.Put(key{"org", "p"}, 4, "old")
	if v, ok := c.Get(key{"org", "p"}, 5); !ok || v != "new" {
		t.Fatalf("a value read at an older version replaced a newer one: %q %v", v, ok)
	}
	if _, ok := c.Get(key{"org", "p"}, 4); ok {
		t.Fatal("a lookup at another version got the value")
	}
	if _, ok := c.Get(key{"another org", "p"}, 5); ok {
		t.Fatal("another key got the value")
	}
	if hits, misses := testutil.ToFloat64(c.Lookups("hit")), testutil.ToFloat64(c.Lookups("miss")); hits != 1 || misses != 2 {
		t.Fatalf("counted %v hits and %v misses, want 1 and 2", hits, misses)
	}
	if !c.Has(key{"org", "p"}, 5) || testutil.ToFloat64(c.Lookups("hit")) != 1 {
		t.Fatal("Has did not find the value, or counted a lookup")
	}

	c.Update(key{"org", "p"}, 4, func(string) string { return "stale" })
	c.Update(key{"org", "p"}, 5, func(v string) string { return v + "+answer" })
	if v, _ := c.Get(key{"org", "p"}, 5); v != "new+answer" {
		t.Fatalf("after updates the value is %q, want only the one at its version applied", v)
	}

	for i := range 20 {
		c.Put(key{"org", string(rune('a' + i))}, 1, "x")
	}
	if c.Len() > 8 {
		t.Fatalf("the cache holds %d values, more than 8", c.Len())
	}
	c.Clear()
	if c.Len() != 0 {
		t.Fatal("Clear left values")
	}
}
