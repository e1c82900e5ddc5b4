package linkpreview

import (
	"slices"
	"testing"
)

func TestURLs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		text string
		want []string
	}{
		{"no links here", nil},
		{"see https://example.com.", []string{"https://example.com"}},
		{"(https://example.com/a) and HTTP://Example.org/b?x=1, ok!", []string{"https://example.com/a", "HTTP://Example.org/b?x=1"}},
		{"https://en.wikipedia.org/wiki/Go_(language)!", []string{"https://en.wikipedia.org/wiki/Go_(language)"}},
		{"[docs](https://example.com/docs)", []string{"https://example.com/docs"}},
		{"<https://example.com/x>", []string{"https://example.com/x"}},
		{`"https://example.com/q?a=1&b=2"`, []string{"https://example.com/q?a=1&b=2"}},
		{"https://example.com/a https://example.com/a#frag https://EXAMPLE.com/a", []string{"https://example.com/a"}},
		{"a http://1.example b http://2.example c http://3.example d http://4.example",
			[]string{"http://1.example", "http://2.example", "http://3.example"}},
		{"ftp://example.com mailto:x@example.com xhttp://example.com http:// https://", nil},
		{"http://user:pw@example.com/ then https://ok.example/", []string{"https://ok.example/"}},
		{"Москва: https://ru.wikipedia.org/wiki/Москва。次", []string{"https://ru.wikipedia.org/wiki/Москва"}},
		{"line\nhttps://example.com/x?\nnext", []string{"https://example.com/x"}},
	}
	for _, tc := range cases {
		if got := URLs(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("URLs(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
