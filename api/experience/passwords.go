package experience

import (
	"context"

	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/password"
)

// passwords adapts the hasher and the policy to the domain's Passwords for
// one request. Digests are memoised so a step re-run after a concurrent
// change does not pay for the same hash twice.
type passwords struct {
	ctx     context.Context
	h       *Handler
	digests map[string]string
	matches map[string]bool
}

var _ interaction.Passwords = (*passwords)(nil)

func (h *Handler) passwords(ctx context.Context) *passwords {
	return &passwords{ctx: ctx, h: h, digests: map[string]string{}, matches: map[string]bool{}}
}

func (p *passwords) Issues(pw string, info password.UserInfo) []password.Issue {
	return p.h.cfg.Settings.PasswordPolicy.WithDefaults().Check(pw, info, p.h.breached)
}

func (p *passwords) Matches(pw, digest string) bool {
	if m, ok := p.matches[digest]; ok {
		return m
	}
	ok, err := p.h.hasher.Verify(p.ctx, pw, digest)
	m := err == nil && ok
	p.matches[digest] = m
	return m
}

func (p *passwords) Digest(pw string) (string, error) {
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

// decoy spends the time of a verify when there is no digest to check, so
// timing does not tell whether an account exists (spec §6, decision 12).
func (p *passwords) decoy(pw string) {
	if _, ok := p.matches[""]; ok {
		return
	}
	p.h.hasher.VerifyDecoy(p.ctx, pw)
	p.matches[""] = false
}
