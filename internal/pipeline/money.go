package pipeline

import (
	"errors"
	"strconv"
	"strings"
)

// Money is stored as an integer count of the currency's minor unit, so
// sums are exact; the API reads and writes decimal strings.

// minorDigits is how many decimals a currency has (ISO 4217 exponent).
func minorDigits(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	}
	return 2
}

// maxWholeDigits bounds a value so that sums over a column cannot overflow int64.
const maxWholeDigits = 13

var (
	errMoneySyntax   = errors.New("Write the value as a number with a dot for decimals, e.g. 1250.00.")
	errMoneyNegative = errors.New("The value cannot be negative.")
	errMoneyTooLarge = errors.New("The value is too large (at most 13 digits before the decimal point).")
)

// ParseMoney reads a decimal string ("1250", "1250.5", "1,250.50") into
// minor units of currency. More decimals than the currency has are an
// error rather than a silent rounding.
func ParseMoney(s, currency string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, nil
	}
	if strings.HasPrefix(s, "-") {
		return 0, errMoneyNegative
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	digits := minorDigits(currency)
	if !allDigits(whole) || (hasDot && (frac == "" || !allDigits(frac))) {
		return 0, errMoneySyntax
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > maxWholeDigits {
		return 0, errMoneyTooLarge
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > digits {
		if digits == 0 {
			return 0, errors.New(currency + " has no minor unit: write a whole number.")
		}
		return 0, errors.New(currency + " has " + strconv.Itoa(digits) + " decimals at most.")
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt("0"+whole+frac, 10, 64)
	if err != nil {
		return 0, errMoneySyntax
	}
	return n, nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// FormatMinor writes minor units of currency as a decimal string with the
// currency's decimals: 125000 USD is "1250.00".
func FormatMinor(minor int64, currency string) string {
	digits := minorDigits(currency)
	neg := minor < 0
	if neg {
		minor = -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// DisplayMoney groups thousands for people: "1,250.00 USD".
func DisplayMoney(minor int64, currency string) string {
	s := FormatMinor(minor, currency)
	whole, frac, hasDot := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasDot {
		b.WriteString("." + frac)
	}
	return b.String() + " " + currency
}
