package pipeline

import "testing"

func TestParseMoney(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in, cur string
		want    int64
	}{
		{"1250.00", "USD", 125000}, {"1250", "USD", 125000}, {"1250.5", "EUR", 125050}, {"0.01", "USD", 1},
		{"", "USD", 0}, {"1,250.50", "USD", 125050}, {"5000", "JPY", 5000}, {"1.234", "KWD", 1234},
		{".5", "USD", 50}, {"007", "USD", 700},
	}
	for _, c := range ok {
		got, err := ParseMoney(c.in, c.cur)
		if err != nil || got != c.want {
			t.Errorf("ParseMoney(%q, %s) = %d, %v; want %d", c.in, c.cur, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, cur string }{
		{"-5", "USD"}, {"abc", "USD"}, {"1.2.3", "USD"}, {"1.", "USD"}, {"1.001", "USD"}, {"1.5", "JPY"},
		{"1e5", "USD"}, {"12345678901234", "USD"}, {"NaN", "USD"}, {" 1 2", "USD"},
	} {
		if _, err := ParseMoney(c.in, c.cur); err == nil {
			t.Errorf("ParseMoney(%q, %s) accepted bad input", c.in, c.cur)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		minor     int64
		cur, want string
	}{
		{125000, "USD", "1250.00"}, {5, "USD", "0.05"}, {0, "EUR", "0.00"}, {5000, "JPY", "5000"}, {1234, "KWD", "1.234"}, {-150, "USD", "-1.50"},
	} {
		if got := FormatMinor(c.minor, c.cur); got != c.want {
			t.Errorf("FormatMinor(%d, %s) = %q; want %q", c.minor, c.cur, got, c.want)
		}
		back, err := ParseMoney(c.want, c.cur)
		if c.minor >= 0 && (err != nil || back != c.minor) {
			t.Errorf("round trip of %q: %d, %v", c.want, back, err)
		}
	}
	if got := DisplayMoney(123456789, "USD"); got != "1,234,567.89 USD" {
		t.Errorf("DisplayMoney = %q", got)
	}
}
