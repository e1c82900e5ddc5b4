// Package versioned keeps values read from the database in memory, each
// with the version it was read at: a sum of counters that every write to
// what the value shows adds to (kept by the capability's own tables or
// triggers). Counters only grow, so a later request that reads the same
// sum knows that nothing was committed in between and may reuse the
// value. The counters live in the database, so another replica's writes
// count the same way.
package versioned

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Cache keeps up to a bounded number of values by key.
type Cache[K comparable, V any] struct {
	mu      sync.Mutex
	max     int
	entries map[K]entry[V]
	// lookups counts Get by outcome (hit or miss).
	lookups *prometheus.CounterVec
}

type entry[V any] struct {
	version int64
	value   V
}

// New returns a cache of up to max values whose lookups are counted on
// the Prometheus counter metric (with help), by outcome.
func New[K comparable, V any](max int, metric, help string) *Cache[K, V] {
	lookups := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metric, Help: help}, []string{"outcome"})
	lookups.WithLabelValues("hit") // both series from the start, at 0
	lookups.WithLabelValues("miss")
	return &Cache[K, V]{max: max, entries: map[K]entry[V]{}, lookups: lookups}
}

// Collector is the cache's lookup counter.
func (c *Cache[K, V]) Collector() prometheus.Collector { return c.lookups }

// Lookups is the count of lookups with outcome "hit" or "miss".
func (c *Cache[K, V]) Lookups(outcome string) prometheus.Counter {
	return c.lookups.WithLabelValues(outcome)
}

// Get returns the value kept for k if it was read at version, and counts
// the lookup.
func (c *Cache[K, V]) Get(k K, version int64) (V, bool) {
	v, ok := c.peek(k, version)
	if ok {
		c.lookups.WithLabelValues("hit").Inc()
	} else {
		c.lookups.WithLabelValues("miss").Inc()
	}
	return v, ok
}

// Has reports whether the value kept for k was read at version, without
// counting a lookup.
func (c *Cache[K, V]) Has(k K, version int64) bool {
	_, ok := c.peek(k, version)
	return ok
}

func (c *Cache[K, V]) peek(k K, version int64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok || e.version != version {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Put keeps v for k as read at version, unless a value read at a later
// version is kept: a slower reader must not replace a newer value. When
// the cache is full, a new key replaces any one other.
func (c *Cache[K, V]) Put(k K, version int64, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.entries[k]
	if ok && old.version > version {
		return
	}
	if !ok && len(c.entries) >= c.max {
		for other := range c.entries { // any one: values are cheap to read again
			delete(c.entries, other)
			break
		}
	}
	c.entries[k] = entry[V]{version: version, value: v}
}

// Update replaces the value kept for k with change(value), if it is still
// the one read at version.
func (c *Cache[K, V]) Update(k K, version int64, change func(V) V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok && e.version == version {
		e.value = change(e.value)
		c.entries[k] = e
	}
}

// Clear drops every value.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
}

// Len is how many values are kept.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
