package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password length limits, counted in Unicode code points.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 128
)

// Reasons carried by a PasswordError.
const (
	ReasonTooShort  = "too_short"
	ReasonTooLong   = "too_long"
	ReasonTooCommon = "too_common"
)

// ErrMalformedHash is returned (wrapped) when a stored password hash is not a
// well-formed argon2id PHC string this package can verify.
var ErrMalformedHash = errors.New("identity: malformed password hash")

// PasswordError says why a password was refused by CheckPassword. Reason is
// one of ReasonTooShort, ReasonTooLong or ReasonTooCommon.
type PasswordError struct {
	Reason string
}

// Error returns a message that can be shown to the person choosing the password.
func (e *PasswordError) Error() string {
	switch e.Reason {
	case ReasonTooShort:
		return fmt.Sprintf("password must be at least %d characters", MinPasswordLength)
	case ReasonTooLong:
		return fmt.Sprintf("password must be at most %d characters", MaxPasswordLength)
	case ReasonTooCommon:
		return "password is too common; choose one that is harder to guess"
	default:
		return "password is not acceptable: " + e.Reason
	}
}

// CheckPassword applies the password policy: 8 to 128 characters (Unicode
// code points) and not among the 10,000 most common passwords, compared
// case-insensitively. There are no composition rules. A refusal is a
// *PasswordError.
func CheckPassword(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLength:
		return &PasswordError{Reason: ReasonTooShort}
	case n > MaxPasswordLength:
		return &PasswordError{Reason: ReasonTooLong}
	case isCommonPassword(pw):
		return &PasswordError{Reason: ReasonTooCommon}
	}
	return nil
}

// argonParams are the argon2id cost parameters recorded in an encoded hash.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32
	threads uint8
	keyLen  uint32
}

// currentParams returns the parameters of every new hash: 19 MiB, 2
// passes, 1 lane, 32-byte key.
func currentParams() argonParams {
	return argonParams{memory: 19 * 1024, time: 2, threads: 1, keyLen: 32}
}

const (
	argonSaltLen   = 16
	argonMaxMemory = 1024 * 1024 // KiB; refuse hashes asking for more than 1 GiB
	argonMaxTime   = 64
	argonMinKeyLen = 16
	argonMaxKeyLen = 128
)

// phcBase64 is the PHC encoding of salt and hash: standard alphabet, no
// padding, no stray bits.
func phcBase64() *base64.Encoding { return base64.RawStdEncoding.Strict() }

// decodedHash is the content of a PHC string.
type decodedHash struct {
	params argonParams
	salt   []byte
	key    []byte
}

// HashPassword hashes pw with argon2id under the current parameters and a
// fresh random 16-byte salt, and returns the PHC string
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".
func HashPassword(pw string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("identity: read salt: %w", err)
	}
	p := currentParams()
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, p.keyLen)
	return encodeHash(p, salt, key), nil
}

// VerifyPassword reports whether pw matches encoded, using the parameters
// recorded in encoded and a constant-time comparison. A malformed encoding
// returns an error wrapping ErrMalformedHash; it never panics.
func VerifyPassword(encoded, pw string) (ok bool, err error) {
	d, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	return verifyDecoded(d, pw), nil
}

// NeedsRehash reports whether encoded was made with parameters other than the
// current ones (or cannot be parsed), so it should be replaced by a fresh
// HashPassword after the next successful sign-in.
func NeedsRehash(encoded string) bool {
	d, err := decodeHash(encoded)
	return err != nil || d.params != currentParams() || len(d.salt) != argonSaltLen
}

func verifyDecoded(d decodedHash, pw string) bool {
	p := d.params
	got := argon2.IDKey([]byte(pw), d.salt, p.time, p.memory, p.threads, p.keyLen)
	return subtle.ConstantTimeCompare(got, d.key) == 1
}

func encodeHash(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads,
		phcBase64().EncodeToString(salt), phcBase64().EncodeToString(key))
}

func decodeHash(encoded string) (decodedHash, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return decodedHash{}, malformedHash("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return decodedHash{}, malformedHash("unsupported version")
	}
	p, err := parseParams(parts[3])
	if err != nil {
		return decodedHash{}, err
	}
	salt, err := phcBase64().DecodeString(parts[4])
	if err != nil || len(salt) == 0 {
		return decodedHash{}, malformedHash("bad salt")
	}
	key, err := phcBase64().DecodeString(parts[5])
	if err != nil || len(key) < argonMinKeyLen || len(key) > argonMaxKeyLen {
		return decodedHash{}, malformedHash("bad hash")
	}
	p.keyLen = uint32(len(key))
	return decodedHash{params: p, salt: salt, key: key}, nil
}

// parseParams reads exactly "m=<KiB>,t=<passes>,p=<lanes>" in that order.
func parseParams(s string) (argonParams, error) {
	fields := strings.Split(s, ",")
	if len(fields) != 3 {
		return argonParams{}, malformedHash("bad parameters")
	}
	m, errM := paramValue(fields[0], "m", argonMaxMemory)
	t, errT := paramValue(fields[1], "t", argonMaxTime)
	par, errP := paramValue(fields[2], "p", 255)
	if err := errors.Join(errM, errT, errP); err != nil {
		return argonParams{}, err
	}
	if m < 8*par {
		return argonParams{}, malformedHash("memory below 8 KiB per lane")
	}
	return argonParams{memory: m, time: t, threads: uint8(par)}, nil
}

// paramValue parses "name=value" with 1 <= value <= limit.
func paramValue(field, name string, limit uint64) (uint32, error) {
	v, found := strings.CutPrefix(field, name+"=")
	if !found {
		return 0, malformedHash("missing parameter " + name)
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n < 1 || n > limit {
		return 0, malformedHash("parameter " + name + " out of range")
	}
	return uint32(n), nil
}

func malformedHash(why string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, why)
}

// dummyHash is a fixed hash under the current parameters (of a random
// password nobody knows), verified by DummyVerify so that a sign-in for an
// unknown account costs as much as one for a known account.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$lT/C7YqsB1sbJ9aWr+8qlg$V4gkyFftWPydsSDFisrdk7xfMAgNfjSZZ1GF1iq/mNA"

// Hasher runs argon2id hashing with at most a fixed number of computations at
// once, so a burst of sign-ins cannot take all CPU and memory from the other
// routes. Callers beyond the limit wait for a slot or for their context to end.
// A Hasher is safe for concurrent use.
type Hasher struct {
	slots chan struct{}
}

// NewHasher returns a Hasher that runs at most maxConcurrent hash
// computations at once; maxConcurrent <= 0 means runtime.NumCPU().
func NewHasher(maxConcurrent int) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.NumCPU()
	}
	return &Hasher{slots: make(chan struct{}, maxConcurrent)}
}

// Hash is HashPassword run in a slot. It returns ctx.Err() if ctx ends before
// a slot frees up.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	var encoded string
	err := h.withSlot(ctx, func() (err error) {
		encoded, err = HashPassword(pw)
		return err
	})
	return encoded, err
}

// Verify is VerifyPassword run in a slot. A malformed encoding fails at once
// without waiting; otherwise it returns ctx.Err() if ctx ends before a slot
// frees up.
func (h *Hasher) Verify(ctx context.Context, encoded, pw string) (bool, error) {
	d, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	var ok bool
	err = h.withSlot(ctx, func() error {
		ok = verifyDecoded(d, pw)
		return nil
	})
	return ok && err == nil, err
}

// DummyVerify spends about the time and memory of a real Verify against a
// hash with the current parameters, and matches nothing. Use it when the
// account does not exist so that the answer takes as long as for one that
// does. It returns ctx.Err() if ctx ends before a slot frees up.
func (h *Hasher) DummyVerify(ctx context.Context) error {
	_, err := h.Verify(ctx, dummyHash, "")
	return err
}

// withSlot runs fn while holding one of the Hasher's slots.
func (h *Hasher) withSlot(ctx context.Context, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-h.slots }()
	return fn()
}
