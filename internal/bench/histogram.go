package bench

import (
	"math"
	"math/bits"
	"time"
)

// subBucketBits sets the precision of a Histogram: 2^8 sub-buckets per power of two keep
// every reported value within 1/256 (0.4 %) above the recorded one.
const subBucketBits = 8

// subBuckets is the number of sub-buckets per power of two.
const subBuckets = 1 << subBucketBits

// exactBelow is the first value that is no longer counted in a bucket of its own.
const exactBelow = 2 * subBuckets

// Histogram counts durations in log-linear buckets, the way HdrHistogram does: values below
// 512 ns are kept exactly, larger ones to within 0.4 %, and Min and Max are always exact.
// Its memory grows with the logarithm of the largest value (about 70 KiB for an hour in
// nanoseconds), not with the number of samples, so an hour of load fits easily.
// The zero value is empty and ready to use; a Histogram is not safe for concurrent use.
type Histogram struct {
	counts   []uint64
	total    uint64
	min, max time.Duration
}

// Record adds one sample. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	i := bucketIndex(int64(d))
	h.grow(i + 1)
	h.counts[i]++
	h.noteExtremes(d, d)
	h.total++
}

// Merge adds every sample of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.total == 0 {
		return
	}
	h.grow(len(o.counts))
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.noteExtremes(o.min, o.max)
	h.total += o.total
}

// Count returns the number of recorded samples.
func (h *Histogram) Count() uint64 { return h.total }

// Min returns the smallest recorded sample, or 0 when there is none.
func (h *Histogram) Min() time.Duration { return h.min }

// Max returns the largest recorded sample, or 0 when there is none.
func (h *Histogram) Max() time.Duration { return h.max }

// Percentile returns the nearest-rank p-th percentile (0 <= p <= 100): the smallest recorded
// value that at least p % of the samples do not exceed, reported as the top of its bucket
// (never below the true value, at most 0.4 % above it, never above Max). It returns 0 for an
// empty histogram.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(min(max(p, 0), 100) * float64(h.total) / 100))
	rank = max(rank, 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return min(bucketTop(i), h.max)
		}
	}
	return h.max
}

// grow makes room for n buckets.
func (h *Histogram) grow(n int) {
	if n > len(h.counts) {
		h.counts = append(h.counts, make([]uint64, n-len(h.counts))...)
	}
}

// noteExtremes widens min and max to include lo and hi.
func (h *Histogram) noteExtremes(lo, hi time.Duration) {
	if h.total == 0 {
		h.min, h.max = lo, hi
		return
	}
	h.min = min(h.min, lo)
	h.max = max(h.max, hi)
}

// bucketIndex returns the bucket that counts v (v >= 0). Buckets below exactBelow hold one
// value each; above, each power of two is split into subBuckets equal parts.
func bucketIndex(v int64) int {
	if v < exactBelow {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - subBucketBits - 1
	return shift*subBuckets + int(v>>shift)
}

// bucketTop returns the largest value that bucketIndex maps to bucket i.
func bucketTop(i int) time.Duration {
	if i < exactBelow {
		return time.Duration(i)
	}
	shift := i/subBuckets - 1
	mantissa := int64(i - shift*subBuckets)
	return time.Duration((mantissa+1)<<shift - 1)
}
