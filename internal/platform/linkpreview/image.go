package linkpreview

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
)

// ErrNotImage means a preview's image link answered with something other
// than a raster picture.
var ErrNotImage = errors.New("linkpreview: not an image")

// maxImageBytes bounds a preview picture; a card shows it small.
const maxImageBytes = 2 << 20

// imageTypes are the pictures passed on to browsers; SVG is not among
// them, as it can carry script.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// Image fetches the picture of the preview of link, through the same
// address checks as pages, so that a page can show it from Kite's own
// origin: the browser never contacts the linked site, and only a picture a
// page named can be fetched (Kite is no open proxy).
func (f *Fetcher) Image(ctx context.Context, link string) (data []byte, contentType string, err error) {
	p, err := f.Fetch(ctx, link)
	if err != nil {
		return nil, "", err
	}
	if p.Image == "" {
		return nil, "", ErrNotImage
	}
	u, err := normalize(p.Image)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalidURL, err)
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "image/png,image/jpeg,image/gif,image/webp")
	res, err := f.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("linkpreview: image answered %s", res.Status)
	}
	mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if !imageTypes[mt] {
		return nil, "", ErrNotImage
	}
	data, err = io.ReadAll(io.LimitReader(res.Body, maxImageBytes+1))
	if err != nil {
		return nil, "", err
	}
	if len(data) > maxImageBytes {
		return nil, "", fmt.Errorf("%w: larger than %d bytes", ErrNotImage, maxImageBytes)
	}
	return data, mt, nil
}
