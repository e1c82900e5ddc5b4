package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	maxFieldSize = 1 << 20  // one non-file parameter
	maxBodySize  = 16 << 20 // a JSON or url-encoded body
)

// upload is a file part of a multipart request.
type upload struct {
	name string
	data []byte
}

// request is one Bot API call as a method handler sees it: every parameter as
// the string it arrived as, whichever of the four encodings carried it.
type request struct {
	ctx    context.Context
	at     time.Time
	params map[string]string
	files  map[string]upload
}

// parseRequest collects parameters from the query string and from a JSON,
// url-encoded or multipart body, as Telegram accepts all of them.
func parseRequest(r *http.Request, maxUpload int64) (*request, *apiError) {
	in := &request{params: make(map[string]string)}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			in.params[k] = vs[0]
		}
	}
	mediaType, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		return in, in.readJSON(r.Body)
	case "application/x-www-form-urlencoded":
		return in, in.readForm(r.Body)
	case "multipart/form-data":
		return in, in.readMultipart(r.Body, mp["boundary"], maxUpload)
	}
	return in, nil
}

// readJSON flattens a JSON object: strings keep their value, anything else
// (numbers, booleans, objects such as reply_parameters) keeps its JSON text,
// which is how the same parameter arrives in a form.
func (in *request) readJSON(body io.Reader) *apiError {
	data, tooBig := readAtMost(body, maxBodySize)
	if tooBig {
		return errTooLarge()
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return badRequest("can't parse request JSON object")
	}
	for k, raw := range fields {
		var s string
		switch {
		case string(raw) == "null":
			continue
		case json.Unmarshal(raw, &s) == nil:
			in.params[k] = s
		default:
			in.params[k] = string(raw)
		}
	}
	return nil
}

func (in *request) readForm(body io.Reader) *apiError {
	data, tooBig := readAtMost(body, maxBodySize)
	if tooBig {
		return errTooLarge()
	}
	values, err := url.ParseQuery(string(data))
	if err != nil {
		return badRequest("can't parse request parameters")
	}
	for k, vs := range values {
		in.params[k] = vs[0]
	}
	return nil
}

func (in *request) readMultipart(body io.Reader, boundary string, maxUpload int64) *apiError {
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badRequest("can't parse multipart/form-data request")
		}
		name := part.FormName()
		if name == "" {
			continue
		}
		if part.FileName() == "" {
			value, tooBig := readAtMost(part, maxFieldSize)
			if tooBig {
				return errTooLarge()
			}
			in.params[name] = string(value)
			continue
		}
		data, tooBig := readAtMost(part, maxUpload)
		if tooBig {
			return errTooLarge()
		}
		if in.files == nil {
			in.files = make(map[string]upload)
		}
		in.files[name] = upload{name: part.FileName(), data: data}
	}
}

// readAtMost reads r to the end unless it holds more than limit bytes.
func readAtMost(r io.Reader, limit int64) (data []byte, tooBig bool) {
	data, _ = io.ReadAll(io.LimitReader(r, limit+1))
	return data, int64(len(data)) > limit
}

// intArg reads an integer the way Telegram does: absent means def, anything
// unparsable counts as 0, and values outside [lo, hi] are clamped rather than
// rejected.
func (in *request) intArg(name string, def, lo, hi int) int {
	raw := strings.TrimSpace(in.params[name])
	if raw == "" {
		return def
	}
	n, _ := strconv.Atoi(raw)
	return min(max(n, lo), hi)
}

// int64Arg reads an optional integer, 0 when absent or unparsable.
func (in *request) int64Arg(name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(in.params[name]), 10, 64)
	return n
}

// boolArg reads a Bot API Boolean.
func (in *request) boolArg(name string) bool {
	v := strings.ToLower(strings.TrimSpace(in.params[name]))
	return v == "true" || v == "1"
}

// listArg reads a JSON array of strings such as allowed_updates. ok is false
// when the parameter is absent or unreadable, which Telegram treats as "keep
// the previous setting".
func (in *request) listArg(name string) (list []string, ok bool) {
	raw, present := in.params[name]
	if !present {
		return nil, false
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, false
	}
	return list, true
}

// record turns the request into its Call record.
func (in *request) record(method string, status int) Call {
	c := Call{Method: method, Params: in.params, Status: status, At: in.at}
	if len(in.files) > 0 {
		c.Files = make(map[string]FileUpload, len(in.files))
		for field, up := range in.files {
			c.Files[field] = FileUpload{Name: up.name, Size: len(up.data)}
		}
	}
	return c
}
