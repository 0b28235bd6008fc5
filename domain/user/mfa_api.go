package user

import (
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"
)

// DeviceID is the OneLogin-style device id of a factor: the decimal of the
// first 6 bytes of SHA-256(factorID). It is deterministic, so a factor bound
// through any API has the same device id, and below 2^48 (a JSON-safe
// integer, as the SDK's verification model types it).
func DeviceID(factorID string) string {
	sum := sha256.Sum256([]byte(factorID))
	var b [8]byte
	copy(b[2:], sum[:6])
	return strconv.FormatUint(binary.BigEndian.Uint64(b[:]), 10)
}

// TempTokenIssued records a temporary MFA token (OneLogin's mfa_token): only
// its keyed hash is stored. A new token replaces the previous one
// (State.TempToken).
type TempTokenIssued struct {
	TokenID   string    `json:"tokenId"`
	Hash      CodeHash  `json:"hash"`
	Reusable  bool      `json:"reusable"`
	IssuedAt  time.Time `json:"issuedAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// TempTokenUsed consumes a single-use temporary token. It is a claim
// (domain.Claim), like the factors' uses.
type TempTokenUsed struct {
	TokenID        string    `json:"tokenId"`
	VerificationID string    `json:"verificationId,omitempty"`
	At             time.Time `json:"at"`
	UseID          string    `json:"useId,omitempty"`
}

func (e TempTokenUsed) ClaimedBy() string { return e.UseID }

func (TempTokenIssued) EventType() string { return "user.mfa.temp_token_issued" }
func (TempTokenUsed) EventType() string   { return "user.mfa.temp_token_used" }

// TempToken is a user's current temporary MFA token.
type TempToken struct {
	TokenID   string
	Hash      CodeHash
	Reusable  bool
	ExpiresAt time.Time
	Used      bool
	UsedBy    string // the use id of the claim that used it
}

// ClaimedBy reports whether the token was used by the claim of useID.
func (t TempToken) ClaimedBy(useID string) bool { return useID != "" && t.Used && t.UsedBy == useID }

// Usable reports whether the token may still be used at now.
func (t TempToken) Usable(now time.Time) bool {
	return t.TokenID != "" && now.Before(t.ExpiresAt) && (t.Reusable || !t.Used)
}
