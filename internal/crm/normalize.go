package crm

import (
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalidEmail is returned by NormalizeEmail for text that is not a plain
// email address (local@domain.tld).
var ErrInvalidEmail = errors.New("crm: invalid email address")

// ErrInvalidTelegramUsername is returned by NormalizeTelegramUsername for text
// that is not a Telegram username or t.me link.
var ErrInvalidTelegramUsername = errors.New("crm: invalid Telegram username")

// Bounds of what the normalizers accept and produce.
const (
	maxEmailBytes          = 254 // RFC 5321 path limit
	minTelegramUsernameLen = 5
	maxTelegramUsernameLen = 32
	maxSearchTokens        = 10
	maxSearchTokenBytes    = 64
)

// NormalizeEmail trims and lowercases an email address and checks that it is a
// bare address (no display name or comments) that net/mail accepts, with a
// dotted domain name. Empty input gives "" and no error, since a contact's
// email is optional; anything else invalid gives ErrInvalidEmail.
func NormalizeEmail(s string) (string, error) {
	email := strings.ToLower(strings.TrimSpace(s))
	if email == "" {
		return "", nil
	}
	if len(email) > maxEmailBytes {
		return "", ErrInvalidEmail
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return "", ErrInvalidEmail
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, "[") {
		return "", ErrInvalidEmail
	}
	return email, nil
}

// NormalizePhone returns a phone number in E.164 form ("+4915112345678") and
// true when it is a valid number: written with a country code, or in the
// national form of defaultRegion (an ISO 3166 code such as "US" or "DE"; empty
// when unknown). Otherwise, and for numbers with an extension, which E.164 cannot
// hold, it returns the input as typed with its whitespace collapsed, and false,
// so that nothing the user entered is lost. Empty input gives "" and true.
func NormalizePhone(s string, defaultRegion string) (normalized string, ok bool) {
	typed := strings.Join(strings.Fields(s), " ")
	if typed == "" {
		return "", true
	}
	number, err := phonenumbers.Parse(typed, strings.ToUpper(defaultRegion))
	if err != nil || number.GetExtension() != "" || !phonenumbers.IsValidNumber(number) {
		return typed, false
	}
	return phonenumbers.Format(number, phonenumbers.E164), true
}

// PhoneKey reduces a phone number to its national significant number, so
// that one number typed with or without its country code, trunk prefix,
// punctuation or spacing gives one key: "+1 (415) 555-2671",
// "(415) 555-2671" and "415.555.2671" all give "4155552671"; "+49 30
// 1234567" and "030/123 45-67" give "301234567". Numbers with a "+" are
// parsed for their country code; others keep their digits without leading
// zeros. Text without digits gives "". Duplicate detection compares keys.
func PhoneKey(s string) string {
	s = strings.TrimSpace(s)
	if key, ok := e164Key(s); ok {
		return key
	}
	if strings.HasPrefix(s, "+") {
		if number, err := phonenumbers.Parse(s, ""); err == nil {
			if nsn := phonenumbers.GetNationalSignificantNumber(number); nsn != "" {
				return nsn
			}
		}
	}
	key := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' && (len(key) > 0 || s[i] != '0') {
			key = append(key, s[i])
		}
	}
	return string(key)
}

// callingCodes are the country calling codes, which form a prefix code:
// no code is the start of another.
var callingCodes = phonenumbers.GetSupportedCallingCodes()

// e164Key is PhoneKey of a number stored in E.164 ("+" and digits, as
// NormalizePhone writes it) without parsing it: the digits after its
// calling code. Parsing costs far more, and imports key every row.
func e164Key(s string) (string, bool) {
	if len(s) < 4 || len(s) > 16 || s[0] != '+' {
		return "", false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	for n := 1; n <= 3; n++ {
		if cc, _ := strconv.Atoi(s[1 : 1+n]); s[1] != '0' && callingCodes[cc] {
			return s[1+n:], true
		}
	}
	return "", false
}

// NormalizeTelegramUsername accepts a Telegram username as people paste it
// ("@Durov", "durov", "https://t.me/durov", "t.me/durov") and returns it without
// "@" or link, keeping its case as Telegram shows it; callers lowercase it to
// compare. A username has 5 to 32 characters among ASCII letters, digits and
// "_", and starts with a letter; anything else gives ErrInvalidTelegramUsername.
// Empty input gives "" and no error.
func NormalizeTelegramUsername(s string) (string, error) {
	name := strings.TrimSpace(s)
	if name == "" {
		return "", nil
	}
	name = strings.TrimPrefix(trimTelegramLink(name), "@")
	if !isTelegramUsername(name) {
		return "", ErrInvalidTelegramUsername
	}
	return name, nil
}

// trimTelegramLink removes a t.me or telegram.me link prefix (any case, with or
// without http(s)://) and a trailing slash.
func trimTelegramLink(s string) string {
	rest := s
	for _, scheme := range []string{"https://", "http://"} {
		rest = trimPrefixASCIIFold(rest, scheme)
	}
	for _, host := range []string{"t.me/", "telegram.me/"} {
		if link := trimPrefixASCIIFold(rest, host); len(link) < len(rest) {
			return strings.TrimSuffix(link, "/")
		}
	}
	return s
}

// trimPrefixASCIIFold removes prefix (ASCII) from s, ignoring ASCII case.
func trimPrefixASCIIFold(s, prefix string) string {
	if len(s) < len(prefix) {
		return s
	}
	for i := 0; i < len(prefix); i++ {
		if lowerASCII(s[i]) != prefix[i] {
			return s
		}
	}
	return s[len(prefix):]
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isTelegramUsername(name string) bool {
	if len(name) < minTelegramUsernameLen || len(name) > maxTelegramUsernameLen || !isASCIILetter(name[0]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// FoldForSearch reduces text to the form the search index stores and queries
// use, so that a query matches regardless of case, accents and punctuation:
// lowercase; each character compatibility-decomposed (NFKD) with combining marks
// removed ("José Müller" → "jose muller", "Ёлка" → "елка", "ﬁ" → "fi"); letters
// that do not decompose spelled in plain letters ("Łódź" → "lodz", ø → o, đ → d,
// ß → ss, æ → ae, œ → oe, þ → th); letters and digits of every script kept;
// every other character a token break, except "@", "." and "+" inside a token
// (and "+" starting one), so that emails and phone numbers stay single tokens
// ("Ann.Lee+x@Example.com, +49 151" → "ann.lee+x@example.com +49 151").
// Tokens are separated by single spaces. The result is valid UTF-8, and folding
// it again changes nothing.
func FoldForSearch(s string) string {
	folded := searchFolder{out: make([]byte, 0, len(s)+1)} // +1: the space after the last token
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			folded.addASCII(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		folded.addDecomposed(r, s[i:])
		i += size
	}
	return folded.finish()
}

// SearchTokens folds a search query with FoldForSearch and splits it into its
// tokens, for prefix matching: at most 10 tokens of at most 64 bytes each (cut
// on a character boundary); the rest of a longer query is ignored.
func SearchTokens(s string) []string {
	folded := FoldForSearch(s)
	if folded == "" {
		return nil
	}
	tokens := strings.SplitN(folded, " ", maxSearchTokens+1)
	if len(tokens) > maxSearchTokens {
		tokens = tokens[:maxSearchTokens]
	}
	for i, token := range tokens {
		tokens[i] = truncateUTF8(token, maxSearchTokenBytes)
	}
	return tokens
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// searchFolder builds FoldForSearch's output one decomposed character at a time.
type searchFolder struct {
	out        []byte
	tokenStart int // where the current token starts in out
}

// addDecomposed appends the folded form of r, the first character of rest
// (RuneError for an invalid byte): its compatibility decomposition, if it has
// one, folded character by character.
func (f *searchFolder) addDecomposed(r rune, rest string) {
	if r != utf8.RuneError {
		if decomposition := norm.NFKD.PropertiesString(rest).Decomposition(); decomposition != nil {
			for len(decomposition) > 0 {
				part, size := utf8.DecodeRune(decomposition)
				f.add(part)
				decomposition = decomposition[size:]
			}
			return
		}
	}
	f.add(r)
}

// add appends the folded form of r, a character without a decomposition: part
// of a token, nothing (a combining mark), or a token break.
func (f *searchFolder) add(r rune) {
	switch {
	case r < utf8.RuneSelf:
		f.addASCII(byte(r))
	case unicode.IsLetter(r):
		f.addLetter(unicode.ToLower(r))
	case unicode.IsDigit(r) || unicode.Is(unicode.Mc, r):
		f.out = utf8.AppendRune(f.out, r)
	case unicode.In(r, unicode.Mn, unicode.Me): // combining marks are dropped
	default:
		f.endToken()
	}
}

// addLetter appends a lowercase letter, spelled in plain letters if it has no
// decomposition but an obvious plain spelling.
func (f *searchFolder) addLetter(r rune) {
	if spelled := spellUndecomposedLetter(r); spelled != "" {
		f.out = append(f.out, spelled...)
		return
	}
	f.out = utf8.AppendRune(f.out, r)
}

func (f *searchFolder) addASCII(c byte) {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9', isInnerSymbol(c):
		f.out = append(f.out, c)
	case 'A' <= c && c <= 'Z':
		f.out = append(f.out, c+'a'-'A')
	default:
		f.endToken()
	}
}

// endToken closes the current token: it drops "@", "." and "+" from its ends
// (keeping a "+" right before a letter or digit, as in "+49"), drops it if
// nothing is left, and otherwise follows it with a space.
func (f *searchFolder) endToken() {
	token := f.out[f.tokenStart:]
	for len(token) > 0 && isInnerSymbol(token[len(token)-1]) {
		token = token[:len(token)-1]
	}
	for len(token) > 0 && isInnerSymbol(token[0]) && !(token[0] == '+' && len(token) > 1 && !isInnerSymbol(token[1])) {
		token = token[1:]
	}
	n := copy(f.out[f.tokenStart:], token)
	f.out = f.out[:f.tokenStart+n]
	if n > 0 {
		f.out = append(f.out, ' ')
	}
	f.tokenStart = len(f.out)
}

func (f *searchFolder) finish() string {
	f.endToken()
	return strings.TrimSuffix(string(f.out), " ")
}

// isInnerSymbol reports "@", "." and "+", kept inside search tokens.
func isInnerSymbol(c byte) bool { return c == '@' || c == '.' || c == '+' }

// spellUndecomposedLetter spells in plain letters the lowercase letters that
// NFKD leaves whole, or returns "" for any other rune.
func spellUndecomposedLetter(r rune) string {
	switch r {
	case 'ł':
		return "l"
	case 'ø':
		return "o"
	case 'đ', 'ð':
		return "d"
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'þ':
		return "th"
	case 'ı':
		return "i"
	case 'ħ':
		return "h"
	case 'ŧ':
		return "t"
	case 'ς':
		return "σ"
	}
	return ""
}
