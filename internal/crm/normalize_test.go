package crm

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"", "", nil},
		{"   ", "", nil},
		{"ann@example.com", "ann@example.com", nil},
		{"  Ann.Lee+CRM@Example.COM \n", "ann.lee+crm@example.com", nil},
		{"JOSÉ@Exämple.DE", "josé@exämple.de", nil},
		{"o'brien@sub.example.co.uk", "o'brien@sub.example.co.uk", nil},
		{"ann", "", ErrInvalidEmail},
		{"ann@", "", ErrInvalidEmail},
		{"@example.com", "", ErrInvalidEmail},
		{"ann@localhost", "", ErrInvalidEmail},
		{"ann@@example.com", "", ErrInvalidEmail},
		{"ann lee@example.com", "", ErrInvalidEmail},
		{"ann@example..com", "", ErrInvalidEmail},
		{"ann@example.com.", "", ErrInvalidEmail},
		{"Ann <ann@example.com>", "", ErrInvalidEmail},
		{"ann@example.com (Ann)", "", ErrInvalidEmail},
		{"ann@example.com, bob@example.com", "", ErrInvalidEmail},
		{"ann@[192.168.0.1]", "", ErrInvalidEmail},
		{`"ann lee"@example.com`, "", ErrInvalidEmail},
		{strings.Repeat("a", 250) + "@example.com", "", ErrInvalidEmail},
	}
	for _, tt := range tests {
		got, err := NormalizeEmail(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, region string
		want       string
		ok         bool
	}{
		{"", "US", "", true},
		{"  ", "", "", true},
		{"+1 (415) 555-2671", "", "+14155552671", true},
		{"+1 (415) 555-2671", "DE", "+14155552671", true},
		{"(415) 555-2671", "US", "+14155552671", true},
		{"(415) 555-2671", "us", "+14155552671", true},
		{"030 1234567", "DE", "+49301234567", true},
		{"0151 1234 5678", "DE", "+4915112345678", true},
		{"+49 (0)151 1234 5678", "", "+4915112345678", true},
		{"+44 20 7946 0958", "US", "+442079460958", true},
		{"+7 912 345-67-89", "", "+79123456789", true},
		// Not normalizable: kept as typed, whitespace collapsed.
		{"030 1234567", "", "030 1234567", false},
		{"not a phone", "US", "not a phone", false},
		{"  +1   415\t555 ", "", "+1 415 555", false},
		{"+1 415 555 2671 ext. 12", "", "+1 415 555 2671 ext. 12", false},
		{"+49 123", "", "+49 123", false},
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in, tt.region)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, %v", tt.in, tt.region, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPhoneKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"+1 (415) 555-2671", "4155552671"},
		{"  +1.415.555.2671", "4155552671"},
		{"(415) 555-2671", "4155552671"},
		{"+49 30 1234567", "301234567"},
		{"030/123 45-67", "301234567"},
		{"1+2", "12"},
		{"+", ""},
		{"no digits", ""},
	}
	for _, tt := range tests {
		if got := PhoneKey(tt.in); got != tt.want {
			t.Errorf("PhoneKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	a, _ := NormalizePhone("(415) 555-2671", "US")
	b, _ := NormalizePhone("+1 415-555-2671", "")
	if PhoneKey(a) != PhoneKey(b) {
		t.Errorf("national and international forms give keys %q and %q", PhoneKey(a), PhoneKey(b))
	}
	// The E.164 shortcut agrees with parsing, across calling codes of one,
	// two and three digits and a national number with a leading zero.
	for _, typed := range []string{"+1 212 555 0100", "+7 495 123-45-67", "+44 20 7946 0958", "+49 151 23456789",
		"+39 06 6982 1234", "+353 1 234 5678", "+971 4 331 2345", "+86 10 6552 9988", "+61 2 9374 4000", "+380 44 123 4567"} {
		e164, ok := NormalizePhone(typed, "")
		if !ok {
			t.Fatalf("NormalizePhone(%q) refused", typed)
		}
		number, err := phonenumbers.Parse(e164, "")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := PhoneKey(e164), phonenumbers.GetNationalSignificantNumber(number); got != want {
			t.Errorf("PhoneKey(%q) = %q, parsing gives %q", e164, got, want)
		}
	}
}

func TestNormalizeTelegramUsername(t *testing.T) {
	tests := []struct {
		in, want string
		err      error
	}{
		{"", "", nil},
		{" ", "", nil},
		{"durov", "durov", nil},
		{"@Durov_Pavel", "Durov_Pavel", nil},
		{"  @durov  ", "durov", nil},
		{"https://t.me/durov", "durov", nil},
		{"HTTPS://T.ME/Durov/", "Durov", nil},
		{"http://t.me/durov", "durov", nil},
		{"t.me/durov", "durov", nil},
		{"telegram.me/durov", "durov", nil},
		{"https://telegram.me/durov", "durov", nil},
		{"a2345", "a2345", nil},
		{"a" + strings.Repeat("b", 31), "a" + strings.Repeat("b", 31), nil},
		{"abcd", "", ErrInvalidTelegramUsername},
		{"a" + strings.Repeat("b", 32), "", ErrInvalidTelegramUsername},
		{"1durov", "", ErrInvalidTelegramUsername},
		{"_durov", "", ErrInvalidTelegramUsername},
		{"du-rov", "", ErrInvalidTelegramUsername},
		{"dürov", "", ErrInvalidTelegramUsername},
		{"@@durov", "", ErrInvalidTelegramUsername},
		{"https://t.me/", "", ErrInvalidTelegramUsername},
		{"https://t.me/durov?start=1", "", ErrInvalidTelegramUsername},
		{"https://example.com/durov", "", ErrInvalidTelegramUsername},
		{"t.mex/durov", "", ErrInvalidTelegramUsername},
		{"İİİİİİ", "", ErrInvalidTelegramUsername},
	}
	for _, tt := range tests {
		got, err := NormalizeTelegramUsername(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("NormalizeTelegramUsername(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestFoldForSearch(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  \t\n ", ""},
		{"Ann Lee", "ann lee"},
		{"José Müller", "jose muller"},
		{"Łódź", "lodz"},
		{"ŁÓDŹ", "lodz"},
		{"Søren Ødegård", "soren odegard"},
		{"Đorđe Đoković", "dorde dokovic"},
		{"Straße STRASSE", "strasse strasse"},
		{"Ærø Cœur Œuvre", "aero coeur oeuvre"},
		{"Þór Ðan", "thor dan"},
		{"İstanbul ıspanak", "istanbul ispanak"},
		{"Ёлка Йошкар-Ола", "елка иошкар ола"},
		{"Ελληνικά ΣΟΦΟΣ σοφός", "ελληνικα σοφοσ σοφοσ"},
		{"北京 東京", "北京 東京"},
		{"ﬁnance №5 ½", "finance no5 1 2"},
		{"Ｆｕｌｌｗｉｄｔｈ １２３", "fullwidth 123"},
		{"Ann.Lee+x@Example.com, +49 151", "ann.lee+x@example.com +49 151"},
		{"mailto:ann@example.com;bob@x.io", "mailto ann@example.com bob@x.io"},
		{"+1 (415) 555-2671", "+1 415 555 2671"},
		{"@durov", "durov"},
		{"Dr. J.R.R. Tolkien", "dr j.r.r tolkien"},
		{"C++ .net a.@b", "c net a.@b"},
		{"++49 +.5 ..x..", "+49 5 x"},
		{"O'Brien & Sons, Inc.", "o brien sons inc"},
		{"a\u00a0b\u2003c", "a b c"},
		{"emoji 🎉 party", "emoji party"},
		{"broken \xff utf8", "broken utf8"},
		{"\xf1Ѐ", "е"}, // found by fuzzing: the letter after an invalid byte stayed composed
		{"e\u0301", "e"},
		{"\u0301\u0301", ""},
		{"हिन्दी", "हिनदी"},
	}
	for _, tt := range tests {
		if got := FoldForSearch(tt.in); got != tt.want {
			t.Errorf("FoldForSearch(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSearchTokens(t *testing.T) {
	accented := strings.Repeat("é", 40) // 80 bytes, folded to 40
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" ,;- ", nil},
		{"José  MÜLLER", []string{"jose", "muller"}},
		{"ann@example.com +49 151", []string{"ann@example.com", "+49", "151"}},
		{"a b c d e f g h i j k l", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}},
		{strings.Repeat("x", 100), []string{strings.Repeat("x", 64)}},
		{accented, []string{strings.Repeat("e", 40)}},
		{strings.Repeat("ж", 40), []string{strings.Repeat("ж", 32)}},
		{"a" + strings.Repeat("ж", 40), []string{"a" + strings.Repeat("ж", 31)}},
	}
	for _, tt := range tests {
		got := SearchTokens(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SearchTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
		for _, token := range got {
			if token == "" || len(token) > 64 || !utf8.ValidString(token) {
				t.Errorf("SearchTokens(%q): bad token %q", tt.in, token)
			}
		}
	}
}

func FuzzFoldForSearch(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		folded := FoldForSearch(s)
		if !utf8.ValidString(folded) {
			t.Fatalf("FoldForSearch(%q) = %q: not UTF-8", s, folded)
		}
		if again := FoldForSearch(folded); again != folded {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, folded, again)
		}
		if strings.Contains(folded, "  ") || strings.TrimSpace(folded) != folded {
			t.Fatalf("FoldForSearch(%q) = %q: spaces not collapsed", s, folded)
		}
		if tokens := SearchTokens(s); len(tokens) > 10 {
			t.Fatalf("SearchTokens(%q): %d tokens", s, len(tokens))
		}
	})
}

var foldSink string

func BenchmarkFoldForSearch(b *testing.B) {
	inputs := map[string]string{
		"ascii":    "Ann Lee ann.lee@example.com +1 (415) 555-2671 Acme Corp Sales Director",
		"latin":    "José Müller jose.mueller@beispiel.de +49 30 1234567 Łódź Straße GmbH",
		"cyrillic": "Ёлка Йошкар-Ола Иван Петров ivan@example.ru +7 912 345-67-89 ООО Ромашка",
	}
	for name, in := range inputs {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				foldSink = FoldForSearch(in)
			}
		})
	}
}

// TestFoldForSearchIsIdempotentOnEveryCharacter checks every code point alone
// and between letters, where the fuzzer would only ever sample a few.
func TestFoldForSearchIsIdempotentOnEveryCharacter(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		for _, s := range []string{string(r), "a" + string(r) + "b"} {
			folded := FoldForSearch(s)
			if again := FoldForSearch(folded); again != folded || !utf8.ValidString(folded) {
				t.Fatalf("U+%04X: %q -> %q -> %q", r, s, folded, again)
			}
		}
	}
}
