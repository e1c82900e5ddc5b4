package telegramtest

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// utf16Len counts s in UTF-16 code units, the unit of Telegram's text limits
// and entity offsets: characters outside the Basic Multilingual Plane, such
// as most emoji, count twice.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16RuneLen(r)
	}
	return n
}

func utf16RuneLen(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// detectEntities finds the entities Telegram marks in plain text without a
// parse_mode: bot commands, @mentions, #hashtags and http(s) URLs, each at
// the start of a word.
func detectEntities(text string) []MessageEntity {
	var entities []MessageEntity
	offset := 0 // UTF-16 offset of text[i]
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		atWordStart := i == 0 || unicode.IsSpace(lastRune(text[:i]))
		if atWordStart && !unicode.IsSpace(r) {
			word := text[i:]
			if end := strings.IndexFunc(word, unicode.IsSpace); end >= 0 {
				word = word[:end]
			}
			if kind, n := classifyWord(word); n > 0 {
				entities = append(entities, MessageEntity{Type: kind, Offset: offset, Length: utf16Len(word[:n])})
			}
		}
		offset += utf16RuneLen(r)
		i += size
	}
	return entities
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// classifyWord reports the entity a word starts with and its length in
// bytes, or 0 if it starts none.
func classifyWord(word string) (kind string, n int) {
	switch {
	case strings.HasPrefix(word, "/"):
		n = 1 + nameRun(word[1:])
		if n == 1 || n > 33 {
			return "", 0
		}
		if rest := word[n:]; strings.HasPrefix(rest, "@") {
			if m := nameRun(rest[1:]); m > 0 {
				n += 1 + m
			}
		}
		return "bot_command", n
	case strings.HasPrefix(word, "@"):
		if m := nameRun(word[1:]); m >= 5 && m <= 32 {
			return "mention", 1 + m
		}
	case strings.HasPrefix(word, "#"):
		if m := strings.IndexFunc(word[1:], func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_'
		}); m != 0 {
			if m < 0 {
				m = len(word) - 1
			}
			return "hashtag", 1 + m
		}
	case strings.HasPrefix(word, "http://") || strings.HasPrefix(word, "https://"):
		trimmed := strings.TrimRight(word, ".,;:!?)\"'")
		if !strings.HasSuffix(trimmed, "://") {
			return "url", len(trimmed)
		}
	}
	return "", 0
}

// nameRun is the length of the leading run of [A-Za-z0-9_], the characters
// of command names and usernames.
func nameRun(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return i
		}
	}
	return len(s)
}
