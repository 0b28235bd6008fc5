package experience

import (
	"context"
	"net/http"
	"slices"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/password"
)

// Passwords adapts the hasher and the policy to the domain's Passwords for
// one request. Digests are memoised so a step re-run after a concurrent
// change does not pay for the same hash twice: make one in the request's
// parse, not in the step.
type Passwords struct {
	ctx     context.Context
	h       *Handler
	digests map[string]string
	matches map[string]bool
}

var _ interaction.Passwords = (*Passwords)(nil)

// Passwords returns the password memo of one request.
func (h *Handler) Passwords(ctx context.Context) *Passwords {
	return &Passwords{ctx: ctx, h: h, digests: map[string]string{}, matches: map[string]bool{}}
}

// Issues checks the password policy, with the breached list if any.
func (p *Passwords) Issues(pw string, info password.UserInfo) []password.Issue {
	return p.h.cfg.Settings.PasswordPolicy.WithDefaults().Check(pw, info, p.h.breached)
}

// Matches compares pw with a stored digest.
func (p *Passwords) Matches(pw, digest string) bool {
	if m, ok := p.matches[digest]; ok {
		return m
	}
	ok, err := p.h.hasher.Verify(p.ctx, pw, digest)
	m := err == nil && ok
	p.matches[digest] = m
	return m
}

// Digest hashes pw for storage.
func (p *Passwords) Digest(pw string) (string, error) {
	if d, ok := p.digests[pw]; ok {
		return d, nil
	}
	d, err := p.h.hasher.Hash(p.ctx, pw)
	if err != nil {
		return "", err
	}
	p.digests[pw] = d
	return d, nil
}

// Decoy spends the time of a verify when there is no digest to check, so
// timing does not tell whether an account exists (docs/experience.md, decision 12).
func (p *Passwords) Decoy(pw string) {
	if _, ok := p.matches[""]; ok {
		return
	}
	p.h.hasher.VerifyDecoy(p.ctx, pw)
	p.matches[""] = false
}

// PasswordRequest is the request of a route that takes an identifier and a
// password, with the id of the record the route creates and the request's
// password memo.
type PasswordRequest struct {
	Identifier     interaction.Identifier
	Password       string
	VerificationID string
	Passwords      *Passwords
}

// ParsePasswordRequest reads {identifier: {type, value}, password}: the
// identifier's type must be one of types and its value pass valid.
func (h *Handler) ParsePasswordRequest(r *http.Request, types []string, valid func(interaction.Identifier) bool) (PasswordRequest, error) {
	in := PasswordRequest{VerificationID: h.NewID(), Passwords: h.Passwords(r.Context())}
	var body struct {
		Identifier *interaction.Identifier `json:"identifier"`
		Password   string                  `json:"password"`
	}
	if err := httpx.Decode(r, &body); err != nil {
		return in, err
	}
	id := body.Identifier
	switch {
	case id == nil:
		return in, httpx.Invalid("body", `"identifier" is required`)
	case !slices.Contains(types, id.Type):
		return in, httpx.Invalid("body", `"identifier.type" is not allowed`)
	case !valid(*id):
		return in, httpx.Invalid("body", `"identifier.value" is invalid`)
	case body.Password == "":
		return in, httpx.Invalid("body", `"password" is required`)
	}
	in.Identifier, in.Password = *id, body.Password
	return in, nil
}
