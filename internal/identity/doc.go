// Package identity holds the building blocks of who a Kite user is and how
// they prove it: argon2id password hashing with a concurrency limit and the
// password policy, TOTP second factors and recovery codes, Telegram Login
// Widget verification, random opaque tokens stored as hashes, and short-lived
// HS256 access tokens signed with a key derived from the application secret.
//
// Everything here is pure computation with no storage; the service, store and
// API of the package build on it.
package identity
