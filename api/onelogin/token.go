package onelogin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/authtrail/authtrail/eventstore"
)

// Tokens are "<short>.<mac>": short is the first shortHashLength hex digits
// of the client's aggregate id, so a bearer token names the aggregate to
// load (also one issued by another process); mac is
// base64url(HMAC-SHA256(key, "oauth token v1" NUL clientId NUL tokenId)),
// 256 bits that only the server key and the stored random TokenID give
// back. The event log holds TokenID and SHA-256(token), never the token.
const (
	shortHashLength = 16
	tokenIDBytes    = 32
	tokenContext    = "oauth token v1"
	macLength       = 43 // base64url without padding of 32 bytes
)

// deriveToken computes the access token of cred for tokenID.
func (a *Auth) deriveToken(cred *credential, tokenID string) string {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte(tokenContext + "\x00" + cred.ID + "\x00" + tokenID))
	return cred.short() + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// tokenHash is the lookup form of a token stored in events.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func newTokenID() string {
	b := make([]byte, tokenIDBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// credentialOf finds the client a token claims to belong to from its
// prefix; nil when the token is malformed or names no configured client.
func (a *Auth) credentialOf(token string) *credential {
	short, mac, ok := strings.Cut(token, ".")
	if !ok || len(short) != shortHashLength || len(mac) != macLength {
		return nil
	}
	return a.byShort[short]
}

// issued is the outcome of a token request.
type issued struct {
	token string
	ev    TokenIssued
}

// loadState reads the client's token state in tx: the last event suffices
// (see TokenState).
func loadState(ctx context.Context, tx *eventstore.Tx, cred *credential) (TokenState, error) {
	env, err := tx.Last(ctx, cred.subject)
	if errors.Is(err, eventstore.ErrNotFound) {
		return TokenState{}, nil
	}
	if err != nil {
		return TokenState{}, err
	}
	events, err := eventstore.Decode([]eventstore.Envelope{*env}, TokenEvents)
	if err != nil {
		return TokenState{}, err
	}
	return FoldTokens(events), nil
}

// issueToken returns the client's live token, or records a new one. Two
// concurrent calls conflict on the aggregate; the loser decides again,
// finds the winner's token and returns it.
func (a *Auth) issueToken(ctx context.Context, tx *eventstore.Tx, cred *credential) (issued, error) {
	now := a.clock.Now().UTC()
	state, err := loadState(ctx, tx, cred)
	if err != nil {
		return issued{}, err
	}
	if cur, ok := state.Valid(now, cred.Scope); ok {
		return issued{token: a.deriveToken(cred, cur.TokenID), ev: *cur}, nil
	}
	ev := TokenIssued{TokenID: newTokenID(), Scope: cred.Scope, IssuedAt: now, ExpiresAt: now.Add(TokenLifetime)}
	out := issued{token: a.deriveToken(cred, ev.TokenID)}
	ev.TokenHash = tokenHash(out.token)
	out.ev = ev
	tx.Append(cred.subject, &ev)
	return out, nil
}

// revokeToken ends token when it is cred's live token; anything else (another
// client's token, an unknown, expired or already revoked one) changes
// nothing, as RFC 7009 allows.
func (a *Auth) revokeToken(ctx context.Context, tx *eventstore.Tx, cred *credential, token string) error {
	if a.credentialOf(token) != cred {
		return nil
	}
	now := a.clock.Now().UTC()
	hash := tokenHash(token)
	state, err := loadState(ctx, tx, cred)
	if err != nil {
		return err
	}
	cur, ok := state.Valid(now, cred.Scope)
	if !ok || !sameHash(cur.TokenHash, hash) {
		return nil
	}
	tx.Append(cred.subject, &TokenRevoked{TokenHash: hash, At: now})
	return nil
}

// lookupToken returns the client whose live token this is, or nil.
func (a *Auth) lookupToken(ctx context.Context, token string) (*credential, error) {
	cred := a.credentialOf(token)
	if cred == nil {
		return nil, nil
	}
	env, err := a.store.Last(ctx, cred.subject)
	if errors.Is(err, eventstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	events, err := eventstore.Decode([]eventstore.Envelope{*env}, TokenEvents)
	if err != nil {
		return nil, err
	}
	cur, ok := FoldTokens(events).Valid(a.clock.Now(), cred.Scope)
	if !ok || !sameHash(cur.TokenHash, tokenHash(token)) {
		return nil, nil
	}
	return cred, nil
}

func sameHash(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
