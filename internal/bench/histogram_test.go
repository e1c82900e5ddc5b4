package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramPercentilesOfSmallValuesAreExact(t *testing.T) {
	t.Parallel()
	var h Histogram
	for v := 100; v >= 1; v-- { // order must not matter
		h.Record(time.Duration(v))
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {1, 1}, {50, 50}, {90, 90}, {95, 95}, {99, 99}, {99.5, 100}, {100, 100}}
	for _, c := range cases {
		if got := h.Percentile(c.p); got != c.want {
			t.Errorf("p%v = %d, want %d", c.p, got, c.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 {
		t.Errorf("count/min/max = %d/%d/%d, want 100/1/100", h.Count(), h.Min(), h.Max())
	}
}

func TestHistogramPercentilesOfMillisecondsWithinPrecision(t *testing.T) {
	t.Parallel()
	var h Histogram
	for v := 1; v <= 1000; v++ {
		h.Record(time.Duration(v) * time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 500 * time.Millisecond}, {95, 950 * time.Millisecond}, {99, 990 * time.Millisecond}, {99.9, 999 * time.Millisecond}} {
		got := h.Percentile(c.p)
		if got < c.want || float64(got-c.want) > float64(c.want)/256 {
			t.Errorf("p%v = %s, want %s (to within 1/256 above)", c.p, got, c.want)
		}
	}
	if h.Max() != time.Second || h.Percentile(100) != time.Second {
		t.Errorf("max = %s, p100 = %s, want exactly 1s", h.Max(), h.Percentile(100))
	}
}

func TestHistogramMatchesSortedSamples(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]time.Duration, 10_000)
	for i := range samples {
		// Log-normal-ish spread from microseconds to seconds, like real latencies.
		samples[i] = time.Duration(rng.ExpFloat64() * rng.ExpFloat64() * float64(20*time.Millisecond))
		h.Record(samples[i])
	}
	slices.Sort(samples)
	for _, p := range []float64{50, 90, 95, 99, 99.9} {
		want := samples[int(p*float64(len(samples))/100+0.999999)-1]
		got := h.Percentile(p)
		if got < want || float64(got-want) > float64(want)/256+1 {
			t.Errorf("p%v = %s, exact nearest-rank value %s", p, got, want)
		}
	}
}

func TestHistogramMergeEqualsRecordingEverything(t *testing.T) {
	t.Parallel()
	var a, b, all Histogram
	for v := range 2000 {
		d := time.Duration(v*v) * time.Microsecond
		all.Record(d)
		if v%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&a)
	merged.Merge(&Histogram{})
	merged.Merge(&b)
	for _, p := range []float64{0, 25, 50, 95, 99, 100} {
		if merged.Percentile(p) != all.Percentile(p) {
			t.Errorf("p%v: merged %s, direct %s", p, merged.Percentile(p), all.Percentile(p))
		}
	}
	if merged.Count() != all.Count() || merged.Min() != all.Min() || merged.Max() != all.Max() {
		t.Errorf("merged count/min/max %d/%s/%s, direct %d/%s/%s",
			merged.Count(), merged.Min(), merged.Max(), all.Count(), all.Min(), all.Max())
	}
}

func TestHistogramEmptyAndNegative(t *testing.T) {
	t.Parallel()
	var h Histogram
	if h.Percentile(50) != 0 || h.Max() != 0 {
		t.Fatal("empty histogram should report zeros")
	}
	h.Record(-time.Second)
	if h.Count() != 1 || h.Max() != 0 {
		t.Errorf("negative sample: count %d max %s, want 1 and 0", h.Count(), h.Max())
	}
}

func TestBucketsAreContiguousAndTight(t *testing.T) {
	t.Parallel()
	// Every value must land in a bucket whose top is >= the value and within 1/256 of it,
	// and bucket indexes must never go backwards as values grow.
	prev := -1
	for _, v := range []int64{0, 1, 255, 256, 511, 512, 513, 1023, 1024, 1 << 20, 1<<20 + 12345, int64(time.Hour)} {
		i := bucketIndex(v)
		top := int64(bucketTop(i))
		if top < v || float64(top-v) > float64(v)/256 {
			t.Errorf("value %d: bucket %d top %d", v, i, top)
		}
		if i < prev {
			t.Errorf("value %d: bucket %d after bucket %d", v, i, prev)
		}
		if bucketIndex(top) != i || (top > 0 && bucketIndex(top+1) != i+1) {
			t.Errorf("value %d: bucket %d does not end at %d", v, i, top)
		}
		prev = i
	}
}
