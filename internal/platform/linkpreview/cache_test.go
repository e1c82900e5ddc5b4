package linkpreview

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFetchCache(t *testing.T) {
	t.Parallel()
	srv, hits := serve(t, htmlPage(`<title>Cached</title>`))
	var mu sync.Mutex
	now := time.Now()
	f := loopbackFetcher(Options{CacheTTL: time.Minute})
	f.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }

	for _, u := range []string{srv.URL, srv.URL + "/", strings.Replace(srv.URL, "http://", "HTTP://", 1) + "/#x"} {
		if p, err := f.Fetch(context.Background(), u); err != nil || p.Title != "Cached" {
			t.Fatalf("%s: %+v, %v", u, p, err)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("%d requests for equivalent URLs, want 1", n)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, err := f.Fetch(context.Background(), srv.URL); err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 2 {
		t.Fatalf("expired entry not refetched: %d requests", n)
	}
}

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newLRU(2)
	exp := time.Now().Add(time.Hour)
	c.add(&entry{key: "a", expires: exp})
	c.add(&entry{key: "b", expires: exp})
	c.get("a", time.Now())
	c.add(&entry{key: "c", expires: exp})
	if _, ok := c.get("b", time.Now()); ok || c.len() != 2 {
		t.Fatalf("b should be evicted; len %d", c.len())
	}
	if _, ok := c.get("a", time.Now()); !ok {
		t.Fatal("a was evicted although recently used")
	}
}

func TestFetchCollapsesConcurrentRequests(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		htmlPage(`<title>Shared</title>`)(w, r)
	})
	f := loopbackFetcher(Options{})
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			p, err := f.Fetch(context.Background(), srv.URL)
			if err == nil && p.Title != "Shared" {
				err = fmt.Errorf("title %q", p.Title)
			}
			errs <- err
		})
	}
	// Release the server only once every caller has joined the one fetch.
	key := srv.URL + "/"
	deadline := time.Now().Add(5 * time.Second)
	for {
		f.mu.Lock()
		c := f.flight[key]
		joined := c != nil && c.dups == n-1
		f.mu.Unlock()
		if joined {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("callers did not join one fetch")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := hits.Load(); got != 1 {
		t.Fatalf("%d requests, want 1", got)
	}
}

func TestFetchCallerCancelDoesNotWait(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-release
		htmlPage(`<title>Later</title>`)(w, r)
	})
	f := loopbackFetcher(Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := f.Fetch(ctx, srv.URL); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	close(release)
	// The abandoned fetch still completes and fills the cache.
	if p, err := f.Fetch(context.Background(), srv.URL); err != nil || p.Title != "Later" {
		t.Fatalf("%+v, %v", p, err)
	}
}
