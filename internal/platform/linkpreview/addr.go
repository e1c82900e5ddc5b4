package linkpreview

import "net/netip"

// Address rule for outgoing connections. It is an allow-list at the top
// (IPv4, plus IPv6 only inside 2000::/3, the block actually used for global
// unicast) with the special-purpose ranges carved out, so new special ranges
// outside 2000::/3 are refused without anyone updating this file.

var blocked4 = prefixes(
	"0.0.0.0/8",       // "this network"; 0.0.0.0 reaches the local host
	"10.0.0.0/8",      // private
	"100.64.0.0/10",   // carrier-grade NAT
	"127.0.0.0/8",     // loopback
	"169.254.0.0/16",  // link-local, including cloud metadata at 169.254.169.254
	"172.16.0.0/12",   // private
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"192.88.99.0/24",  // 6to4 relay anycast
	"192.168.0.0/16",  // private
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"224.0.0.0/4",     // multicast
	"240.0.0.0/4",     // reserved, including broadcast 255.255.255.255
)

var (
	global6   = netip.MustParsePrefix("2000::/3")
	nat64     = netip.MustParsePrefix("64:ff9b::/96") // well-known NAT64, last 32 bits are IPv4
	sixToFour = netip.MustParsePrefix("2002::/16")    // 6to4, bits 16-47 are IPv4
)

var blocked6 = prefixes(
	// IETF protocol assignments: Teredo (2001::/32, a tunnel that can
	// reach arbitrary IPv4 hosts), benchmarking, ORCHID and the like. None
	// of it hosts web pages, so the whole block is refused.
	"2001::/23",
	"2001:db8::/32", // documentation
	"3fff::/20",     // documentation
)

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

// isPublic reports whether the fetcher may connect to a. Anything that could
// reach the server itself, its private network or cloud metadata is refused,
// including IPv6 forms that embed such an IPv4 address.
func isPublic(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	// Zoned addresses never match a prefix, and ::ffff:10.0.0.1 is 10.0.0.1
	// on the wire, so both are normalised before any check.
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return public4(a)
	}
	if nat64.Contains(a) {
		b := a.As16()
		return public4(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if !global6.Contains(a) {
		// Loopback, unspecified, IPv4-compatible, unique-local (fc00::/7),
		// link-local (fe80::/10), site-local, multicast (ff00::/8) and the
		// discard prefix all live outside 2000::/3.
		return false
	}
	if sixToFour.Contains(a) {
		b := a.As16()
		return public4(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
	}
	for _, p := range blocked6 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

func public4(a netip.Addr) bool {
	for _, p := range blocked4 {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
