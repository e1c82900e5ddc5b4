package crypto

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k, err := NewKeyring(strings.Repeat("s", 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed := k.Seal("JBSWY3DPEHPK3PXP", "user:1:totp")
	if strings.Contains(sealed, "JBSWY3DPEHPK3PXP") {
		t.Fatal("sealed value shows the plaintext")
	}
	if got, err := k.Open(sealed, "user:1:totp"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "user:2:totp"); err != ErrUnseal {
		t.Fatal("opened under another context")
	}
	other, _ := NewKeyring(strings.Repeat("t", 32))
	if _, err := other.Open(sealed, "user:1:totp"); err != ErrUnseal {
		t.Fatal("opened under another key")
	}
	for _, bad := range []string{"", "v1:", "v1:!!!", "v2:" + sealed[3:], sealed[:len(sealed)-2]} {
		if _, err := k.Open(bad, "user:1:totp"); err != ErrUnseal {
			t.Fatalf("Open(%q) = %v", bad, err)
		}
	}
	if k.Seal("x", "c") == k.Seal("x", "c") {
		t.Fatal("sealing is deterministic; nonce reused")
	}
	if bytes.Equal(k.Derive("a"), k.Derive("b")) || len(k.Derive("a")) != 32 {
		t.Fatal("derived keys not independent")
	}
	if _, err := NewKeyring("short"); err == nil {
		t.Fatal("short secret accepted")
	}
}
