package csvx

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// readBufferBytes is the size of the buffer between the file and the parser.
const readBufferBytes = 16 << 10

// physicalLine is one line of the file as the parser gets it.
type physicalLine struct {
	text    []byte // the line's bytes, terminator included; nil when skipped
	size    int64  // bytes the line occupies in the file
	skipped bool   // longer than MaxRecordBytes: its bytes were dropped while reading
}

// lineSource cuts the input into physical lines ("\n"-terminated, the last one
// possibly not), never holding more than MaxRecordBytes of one line. Lines the
// parser read ahead can be handed back to be read again.
type lineSource struct {
	in *bufio.Reader
	// Lines handed back, read before in: whole lines in replay[replayPos:], then
	// a skipped line of replaySkipped bytes when replaySkipped > 0.
	replay        []byte
	replayPos     int
	replaySkipped int64
	long          []byte // assembles lines longer than the read buffer
}

func newLineSource(in io.Reader) *lineSource {
	return &lineSource{in: bufio.NewReaderSize(in, readBufferBytes)}
}

// skipBOM drops a UTF-8 byte order mark at the very start and reports its length.
func (s *lineSource) skipBOM() (int64, error) {
	bom := []byte{0xEF, 0xBB, 0xBF}
	start, err := s.in.Peek(len(bom))
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if !bytes.Equal(start, bom) {
		return 0, nil
	}
	n, err := s.in.Discard(len(bom))
	return int64(n), err
}

// next returns the next physical line; its text is valid only until the next
// call. io.EOF means no bytes are left.
func (s *lineSource) next() (physicalLine, error) {
	if s.replayPos < len(s.replay) {
		rest := s.replay[s.replayPos:]
		n := bytes.IndexByte(rest, '\n') + 1
		if n == 0 { // only the file's last line has no terminator
			n = len(rest)
		}
		s.replayPos += n
		return physicalLine{text: rest[:n], size: int64(n)}, nil
	}
	if s.replaySkipped > 0 {
		line := physicalLine{size: s.replaySkipped, skipped: true}
		s.replaySkipped = 0
		return line, nil
	}
	return s.readLine()
}

// handBack queues the unused end of a record to be read again before anything
// else: text (whole lines), then a skipped line of skippedSize bytes if
// skippedSize > 0. A skipped line only ever ends a record, so it can only be
// handed back once everything handed back before was read again.
func (s *lineSource) handBack(text []byte, skippedSize int64) {
	if s.replayEndsWith(text) {
		// The usual case: the lines came from the replay; step back over them.
		s.replayPos -= len(text)
	} else {
		remaining := s.replay[s.replayPos:]
		s.replay = append(append(make([]byte, 0, len(text)+len(remaining)), text...), remaining...)
		s.replayPos = 0
	}
	if skippedSize > 0 {
		s.replaySkipped = skippedSize
	}
}

// replayEndsWith reports whether the bytes just read from the replay are text.
func (s *lineSource) replayEndsWith(text []byte) bool {
	return len(text) <= s.replayPos && bytes.Equal(s.replay[s.replayPos-len(text):s.replayPos], text)
}

// readLine reads a line from the input.
func (s *lineSource) readLine() (physicalLine, error) {
	chunk, err := s.in.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return s.readLongLine(chunk)
	case err != nil && !errors.Is(err, io.EOF):
		return physicalLine{}, err
	case len(chunk) == 0:
		return physicalLine{}, io.EOF
	default:
		return physicalLine{text: chunk, size: int64(len(chunk))}, nil
	}
}

// readLongLine finishes a line that did not fit the read buffer, keeping its
// bytes only while they stay within MaxRecordBytes.
func (s *lineSource) readLongLine(first []byte) (physicalLine, error) {
	s.long = append(s.long[:0], first...)
	line := physicalLine{size: int64(len(first))}
	for {
		chunk, err := s.in.ReadSlice('\n')
		line.size += int64(len(chunk))
		if !line.skipped && len(s.long)+len(chunk) <= MaxRecordBytes {
			s.long = append(s.long, chunk...)
		} else {
			line.skipped = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == nil || errors.Is(err, io.EOF):
			if !line.skipped {
				line.text = s.long
			}
			return line, nil
		default:
			return physicalLine{}, err
		}
	}
}

// lineBody is a line without its terminator: "\n" or "\r\n", or a lone "\r"
// ending the file (as encoding/csv does).
func lineBody(text []byte) []byte {
	text = bytes.TrimSuffix(text, []byte{'\n'})
	return bytes.TrimSuffix(text, []byte{'\r'})
}

// isBlankLine reports a line with nothing but its terminator; such lines separate
// nothing and are skipped between records.
func isBlankLine(line physicalLine) bool {
	return !line.skipped && len(lineBody(line.text)) == 0
}
