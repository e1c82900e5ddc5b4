package csvx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// syntheticContacts is a contacts file made on the fly, never held whole: mostly
// ordinary rows, a multi-line quoted note every 1,000 rows and a 34 MiB line
// (too long to keep, longer than the heap limit) every 150,000 rows.
type syntheticContacts struct {
	size     int64    // stop starting rows once this many bytes were produced
	produced int64    // bytes handed out so far
	rows     int      // data rows generated so far
	segments [][]byte // bytes still to hand out, in order
	filler   []byte   // a block of 'x', reused to build long lines
	scratch  bytes.Buffer
}

const (
	noteEvery    = 1_000
	hugeRowEvery = 150_000
)

func newSyntheticContacts(size int64) *syntheticContacts {
	s := &syntheticContacts{size: size, filler: bytes.Repeat([]byte{'x'}, 64<<10)}
	s.segments = [][]byte{[]byte("id,name,email,note\r\n")}
	return s
}

func (s *syntheticContacts) Read(p []byte) (int, error) {
	for len(s.segments) == 0 {
		if s.produced >= s.size {
			return 0, io.EOF
		}
		s.addRow()
	}
	n := copy(p, s.segments[0])
	s.segments[0] = s.segments[0][n:]
	if len(s.segments[0]) == 0 {
		s.segments = s.segments[1:]
	}
	s.produced += int64(n)
	return n, nil
}

func (s *syntheticContacts) addRow() {
	s.rows++
	n := s.rows
	s.scratch.Reset()
	switch {
	case n%hugeRowEvery == 0:
		fmt.Fprintf(&s.scratch, "%d,Huge,huge@example.com,", n)
		s.segments = append(s.segments, bytes.Clone(s.scratch.Bytes()))
		for range (34 << 20) / len(s.filler) {
			s.segments = append(s.segments, s.filler)
		}
		s.segments = append(s.segments, []byte("\r\n"))
		return
	case n%noteEvery == 0:
		fmt.Fprintf(&s.scratch, "%d,\"Müller, Jörg\",joerg%d@example.com,\"met at the fair\r\nsaid \"\"call me\"\"\r\n%s\"\r\n",
			n, n, s.filler[:8<<10])
	default:
		fmt.Fprintf(&s.scratch, "%d,Contact %d,contact%d@example.com,some note about them\r\n", n, n, n)
	}
	s.segments = append(s.segments, bytes.Clone(s.scratch.Bytes()))
}

func TestMemoryStaysBoundedOnA100MBFile(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100 MB")
	}
	const size = 100 << 20
	const heapLimit = 32 << 20
	input := newSyntheticContacts(size)
	r, err := NewReader(input)
	if err != nil {
		t.Fatal(err)
	}
	var stats runtime.MemStats
	var maxHeap uint64
	rows, bad := 0, 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows++
		if row.Number != rows {
			t.Fatalf("row %d numbered %d", rows, row.Number)
		}
		if row.Err != nil {
			bad++
			if row.Number%hugeRowEvery != 0 || !errors.Is(row.Err, ErrRecordTooLong) {
				t.Fatalf("unexpected bad row %d: %v", row.Number, row.Err)
			}
		}
		if rows%5_000 == 0 || row.Err != nil {
			runtime.ReadMemStats(&stats)
			maxHeap = max(maxHeap, stats.HeapInuse)
		}
	}
	if rows != input.rows || bad != input.rows/hugeRowEvery {
		t.Errorf("read %d rows (%d bad), file had %d (%d huge)", rows, bad, input.rows, input.rows/hugeRowEvery)
	}
	if r.Offset() != input.produced {
		t.Errorf("offset at the end %d, want the file size %d", r.Offset(), input.produced)
	}
	if maxHeap > heapLimit {
		t.Errorf("heap in use reached %d MiB, limit %d MiB", maxHeap>>20, heapLimit>>20)
	}
	t.Logf("%d rows, %d bad, heap in use at most %.1f MiB", rows, bad, float64(maxHeap)/(1<<20))
}

// repeated yields pattern count times without holding more than one copy.
type repeated struct {
	pattern []byte
	count   int
	pos     int
}

func (r *repeated) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && r.count > 0 {
		c := copy(p[n:], r.pattern[r.pos:])
		n += c
		r.pos += c
		if r.pos == len(r.pattern) {
			r.pos = 0
			r.count--
		}
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

func (r *repeated) size() int { return r.count * len(r.pattern) }

// TestMemoryStaysBoundedOnRunOnQuotes covers quoted fields that never close:
// each is read up to MaxRecordBytes and the lines after it are read again, which
// must cost neither memory per line nor time per line of what is still queued.
func TestMemoryStaysBoundedOnRunOnQuotes(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 13 MB")
	}
	const heapLimit = 32 << 20
	parts := []*repeated{
		{pattern: []byte("a,b\n\"run on over blank lines\n"), count: 1},
		{pattern: []byte("\n"), count: 3 << 20},
		{pattern: []byte("1,\"run on over short lines\n"), count: 1},
		{pattern: []byte("x\n"), count: 1 << 20},
		{pattern: []byte("\"a\n\"b\"x\n"), count: 1 << 20}, // each line opens a quote the next one breaks
		{pattern: []byte("2,3\n"), count: 1},
	}
	var readers []io.Reader
	size := 0
	for _, part := range parts {
		readers = append(readers, part)
		size += part.size()
	}

	r, err := NewReader(io.MultiReader(readers...))
	if err != nil {
		t.Fatal(err)
	}
	var stats runtime.MemStats
	var maxHeap uint64
	var last Row
	for i := 0; ; i++ {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = row
		if i%10_000 == 0 {
			runtime.ReadMemStats(&stats)
			maxHeap = max(maxHeap, stats.HeapInuse)
		}
	}
	if last.Err != nil || last.Fields[0] != "2" || r.Offset() != int64(size) {
		t.Errorf("last row %+v, offset %d of %d", last, r.Offset(), size)
	}
	if maxHeap > heapLimit {
		t.Errorf("heap in use reached %d MiB, limit %d MiB", maxHeap>>20, heapLimit>>20)
	}
	t.Logf("heap in use at most %.1f MiB", float64(maxHeap)/(1<<20))
}
