package telegram

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/go-telegram/bot"

	"github.com/kite-crm/kite/internal/inbox"
)

// Fetch opens a received file: getFile finds where the Bot API serves it
// (files up to 20 MB), then it is downloaded from there.
func (a *Adapter) Fetch(ctx context.Context, ch inbox.ChannelRecord, fileID string) (io.ReadCloser, int64, error) {
	b, err := a.client(ch)
	if err != nil {
		return nil, 0, err
	}
	f, err := b.GetFile(ctx, &bot.GetFileParams{FileID: fileID})
	if err != nil {
		d := describe(err)
		switch {
		case errors.Is(err, bot.ErrorBadRequest) && strings.Contains(d, "too big"):
			return nil, 0, inbox.ErrFileTooBig
		case errors.Is(err, bot.ErrorBadRequest):
			return nil, 0, fmt.Errorf("%w: %s", inbox.ErrFileGone, d)
		}
		return nil, 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.FileDownloadLink(f), nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("download a file: %w", redact(err))
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		resp.Body.Close()
		return nil, 0, inbox.ErrFileGone
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		return nil, 0, fmt.Errorf("download a file: status %d", resp.StatusCode)
	}
	size := resp.ContentLength
	if f.FileSize > 0 {
		size = f.FileSize
	}
	return resp.Body, size, nil
}

// redact keeps the bot token (part of every Bot API URL) out of errors.
func redact(err error) error {
	msg := err.Error()
	if i := strings.Index(msg, "/bot"); i >= 0 {
		if j := strings.IndexAny(msg[i+4:], "/ \""); j >= 0 {
			msg = msg[:i+4] + "***" + msg[i+4+j:]
		}
	}
	return errors.New(msg)
}
