// Package crypto seals stored secrets (bot tokens, SMTP passwords, TOTP
// secrets) with AES-256-GCM under a key derived from KITE_SECRET_KEY, and
// derives other purpose-bound keys from it.
package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// sealPrefix versions the sealed format, so the scheme can change later.
const sealPrefix = "v1:"

// Keyring holds keys derived from the app secret.
type Keyring struct {
	secret []byte
	aead   cipher.AEAD
}

// NewKeyring derives the sealing key from the app secret.
func NewKeyring(secret string) (*Keyring, error) {
	if len(secret) < 32 {
		return nil, errors.New("crypto: the app secret must be at least 32 characters")
	}
	k := &Keyring{secret: []byte(secret)}
	block, err := aes.NewCipher(k.Derive("kite seal v1"))
	if err != nil {
		return nil, err
	}
	k.aead, err = cipher.NewGCM(block)
	return k, err
}

// Derive returns a 32-byte key bound to purpose (HKDF-SHA256): keys for
// different purposes are independent, and none reveals the secret.
func (k *Keyring) Derive(purpose string) []byte {
	key, err := hkdf.Key(sha256.New, k.secret, nil, purpose, 32)
	if err != nil {
		panic("crypto: hkdf: " + err.Error()) // only for impossible lengths
	}
	return key
}

// Seal encrypts plaintext; the result is printable and safe to store.
// context binds the ciphertext to its place (e.g. "user:<id>:totp"), so a
// sealed value copied to another row does not open.
func (k *Keyring) Seal(plaintext, context string) string {
	nonce := make([]byte, k.aead.NonceSize())
	rand.Read(nonce)
	out := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return sealPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// ErrUnseal means a sealed value is corrupt, was sealed under another key,
// or belongs to another context.
var ErrUnseal = errors.New("crypto: cannot open sealed value")

// Open decrypts a value made by Seal with the same context.
func (k *Keyring) Open(sealed, context string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, sealPrefix)
	if !ok {
		return "", ErrUnseal
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	if err != nil || len(b) < k.aead.NonceSize() {
		return "", ErrUnseal
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, b[:n], b[n:], []byte(context))
	if err != nil {
		return "", ErrUnseal
	}
	return string(plain), nil
}
