// Package linkpreview builds the preview cards (title, description, image,
// site name) shown under links posted in chat.
//
// The server fetches those pages itself, so any user who can post a message
// can make it send requests. To keep that from reaching internal services,
// every TCP connection the fetcher opens is checked at dial time, after DNS
// resolution, against a public-address rule (see isPublic). Checking the
// address actually being connected to, rather than the host name in the URL,
// also covers redirects and DNS rebinding.
package linkpreview

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"syscall"
	"time"
)

// Preview is the card for one link. Empty fields were not found on the page.
type Preview struct {
	URL         string `json:"url"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Image       string `json:"image"`
	SiteName    string `json:"site_name"`
}

// Empty reports whether the page gave nothing worth showing a card for.
func (p Preview) Empty() bool {
	return p.Title == "" && p.Description == "" && p.Image == ""
}

var (
	// ErrBlocked means the link (or a redirect it led to) resolved to an
	// address the fetcher may not connect to.
	ErrBlocked = errors.New("linkpreview: address not allowed")
	// ErrNotHTML means the link answered with something other than an HTML
	// page (an image, a PDF, JSON...). No card is built for it.
	ErrNotHTML = errors.New("linkpreview: not an HTML page")
	// ErrInvalidURL means the link is not an absolute http(s) URL without
	// credentials, or a redirect pointed to such a URL.
	ErrInvalidURL = errors.New("linkpreview: invalid URL")
)

// Options tune a Fetcher. Zero values take the defaults noted on each field.
type Options struct {
	// Timeout bounds one whole fetch: dial, redirects, headers and body.
	// Default 5s.
	Timeout time.Duration
	// MaxBytes is how much of the (decompressed) body is read. Previews come
	// from <head>, which is almost always near the top. Default 512 KiB.
	MaxBytes int64
	// MaxRedirects is how many redirects are followed. Default 3; negative
	// follows none.
	MaxRedirects int
	// CacheSize is the number of URLs whose result is remembered. Default
	// 1000; negative disables the cache.
	CacheSize int
	// CacheTTL is how long a successful preview is remembered. Default 1h.
	CacheTTL time.Duration
	// FailureTTL is how long a failure is remembered, so a broken or blocked
	// link posted repeatedly is not fetched every time. Default 10m.
	FailureTTL time.Duration
	// UserAgent is sent with every request. Default DefaultUserAgent.
	UserAgent string
	// AllowAddr replaces the public-address rule. It is given the address
	// being dialled, without zone and with IPv4-mapped IPv6 unmapped. It
	// exists for tests that serve pages from loopback; production code
	// leaves it nil.
	AllowAddr func(netip.Addr) bool
}

// DefaultUserAgent names the fetcher honestly so site owners can tell what
// is requesting their pages.
const DefaultUserAgent = "KiteLinkPreview/1.0 (+https://kite.example/bot)"

// Fetcher fetches and caches previews. It is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client
	now    func() time.Time // replaced in tests to expire cache entries

	mu     sync.Mutex
	cache  *lru
	flight map[string]*call
}

// call is one in-progress fetch that every concurrent request for the same
// URL waits on.
type call struct {
	done    chan struct{}
	dups    int // callers that joined after the first; read by tests
	preview Preview
	err     error
}

// New returns a Fetcher configured by opts.
func New(opts Options) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 512 << 10
	}
	switch {
	case opts.MaxRedirects == 0:
		opts.MaxRedirects = 3
	case opts.MaxRedirects < 0:
		opts.MaxRedirects = 0
	}
	if opts.CacheSize == 0 {
		opts.CacheSize = 1000
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = time.Hour
	}
	if opts.FailureTTL <= 0 {
		opts.FailureTTL = 10 * time.Minute
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	f := &Fetcher{
		opts:   opts,
		now:    time.Now,
		cache:  newLRU(opts.CacheSize),
		flight: make(map[string]*call),
	}
	dialer := &net.Dialer{
		Timeout:   opts.Timeout,
		KeepAlive: -1,
		Control:   f.control,
	}
	transport := &http.Transport{
		// Environment proxies would move the connection (and the address
		// check) to the proxy, which then reaches whatever the URL names.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    opts.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		// Previews hit many hosts once each; pooled connections would buy
		// little and keep sockets to arbitrary hosts open.
		DisableKeepAlives: true,
	}
	f.client = &http.Client{
		Transport:     transport,
		CheckRedirect: f.checkRedirect,
	}
	return f
}

// Fetch returns the preview for rawURL. Results, failures included, are
// cached; concurrent calls for the same URL share one request. The request
// keeps running for the other callers (up to Options.Timeout) if ctx ends
// first, so its result still lands in the cache.
//
// Pages that are not HTML fail with ErrNotHTML. An HTML page without any
// usable metadata gives a Preview for which Empty reports true and no error.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) (Preview, error) {
	u, err := normalize(rawURL)
	if err != nil {
		return Preview{}, err
	}
	if err := ctx.Err(); err != nil {
		return Preview{}, err
	}
	key := u.String()

	f.mu.Lock()
	if e, ok := f.cache.get(key, f.now()); ok {
		f.mu.Unlock()
		return e.preview, e.err
	}
	c, ok := f.flight[key]
	if ok {
		c.dups++
	} else {
		c = &call{done: make(chan struct{})}
		f.flight[key] = c
		go f.run(context.WithoutCancel(ctx), key, u, c)
	}
	f.mu.Unlock()

	select {
	case <-c.done:
		return c.preview, c.err
	case <-ctx.Done():
		return Preview{}, ctx.Err()
	}
}

// run performs the fetch for c, detached from any one caller, and publishes
// the result to the cache and to the waiters.
func (f *Fetcher) run(ctx context.Context, key string, u *url.URL, c *call) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	c.preview, c.err = f.fetch(ctx, u)

	ttl := f.opts.CacheTTL
	if c.err != nil {
		ttl = f.opts.FailureTTL
	}
	f.mu.Lock()
	f.cache.add(&entry{key: key, preview: c.preview, err: c.err, expires: f.now().Add(ttl)})
	delete(f.flight, key)
	f.mu.Unlock()
	close(c.done)
}

// control runs for every connection after DNS resolution and before the
// connect system call, so a refused address is never contacted.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %s", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrBlocked, address)
	}
	addr := ap.Addr().WithZone("").Unmap()
	allow := isPublic
	if f.opts.AllowAddr != nil {
		allow = f.opts.AllowAddr
	}
	if !allow(addr) {
		return fmt.Errorf("%w: %s", ErrBlocked, addr)
	}
	return nil
}

// checkRedirect applies the same URL rules to every hop as to the original
// link; the address rule is applied again when the hop is dialled.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > f.opts.MaxRedirects {
		return fmt.Errorf("linkpreview: more than %d redirects", f.opts.MaxRedirects)
	}
	if _, err := normalize(req.URL.String()); err != nil {
		return err
	}
	return nil
}
