package linkpreview

import (
	"container/list"
	"time"
)

// entry is one remembered result; failures are remembered too so a broken
// link posted over and over is not fetched each time.
type entry struct {
	key     string
	preview Preview
	err     error
	expires time.Time
}

// lru is a fixed-size least-recently-used cache with per-entry expiry. The
// Fetcher's mutex guards it.
type lru struct {
	max   int
	order *list.List // front is most recently used; values are *entry
	items map[string]*list.Element
}

// newLRU returns a cache of size entries; size <= 0 gives one that remembers
// nothing.
func newLRU(size int) *lru {
	return &lru{max: size, order: list.New(), items: make(map[string]*list.Element)}
}

func (c *lru) get(key string, now time.Time) (*entry, bool) {
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*entry)
	if !now.Before(e.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e, true
}

func (c *lru) add(e *entry) {
	if c.max <= 0 {
		return
	}
	if el, ok := c.items[e.key]; ok {
		el.Value = e
		c.order.MoveToFront(el)
		return
	}
	c.items[e.key] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(*entry).key)
	}
}

func (c *lru) len() int { return c.order.Len() }
