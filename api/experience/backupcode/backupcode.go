// Package backupcode is the backup-code method of the Experience API: new
// codes to bind (POST /verification/backup-code/generate, answered once and
// kept as keyed hashes) and verifications that use one of the user's codes,
// each code once.
package backupcode

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/authtrail/authtrail/api/experience"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	codes "github.com/authtrail/authtrail/domain/backupcode"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// Method is the backup-code method.
type Method struct {
	hasher *codes.Hasher
	h      *experience.Handler
}

var _ experience.UseAdopter = (*Method)(nil)

// New returns the method; hasher keys the codes' hashes.
func New(hasher *codes.Hasher) *Method { return &Method{hasher: hasher} }

// Events decodes the method's events.
func (m *Method) Events() domain.Registry { return Events }

// Mount adds the backup-code routes.
func (m *Method) Mount(h *experience.Handler, r *mux.Router) {
	m.h = h
	experience.Route(r, h, http.MethodPost, "/verification/backup-code/generate", m.parseGenerate, m.generate)
	experience.VerifyRoute(r, h, http.MethodPost, "/verification/backup-code/verify", m.parseVerify, m.verify)
}

// Factors: the method binds the backup-code factor.
func (m *Method) Factors() []string { return []string{user.FactorBackupCode} }

// AdoptUse is the record of a backup code's use, which is recorded on the
// user alone.
func (m *Method) AdoptUse(use user.Use, userID string) interaction.RecordEvent {
	return Adopted(use, userID)
}

// Bind stages new codes for binding.
func (m *Method) Bind(_ context.Context, s *experience.Step, u *user.State, _ string, verificationID string) ([]domain.Event, error) {
	return Bind(s.State, m.h.Settings(), u, verificationID)
}

// generation is the generate route's request: the id of the record it
// creates and the codes drawn for it.
type generation struct {
	verificationID string
	codes          []string
}

func (m *Method) parseGenerate(*http.Request) (generation, error) {
	drawn, err := codes.Generate(m.h.Random())
	return generation{verificationID: m.h.NewID(), codes: drawn}, err
}

// generate serves POST /verification/backup-code/generate: the
// codes are in the response once; events keep keyed hashes.
func (m *Method) generate(_ context.Context, s *experience.Step, in generation) (experience.Reply, error) {
	hashes := make([]user.CodeHash, len(in.codes))
	for i, c := range in.codes {
		hash := m.hasher.Hash(s.State.UserID, c)
		hashes[i] = user.CodeHash{KeyID: hash.KeyID, Sum: hash.Sum}
	}
	events, err := Generate(s.State, in.verificationID, hashes)
	if err != nil {
		return experience.Reply{}, err
	}
	s.Append(events...)
	return experience.Reply{Status: http.StatusOK, Body: map[string]any{"verificationId": in.verificationID, "codes": in.codes}}, nil
}

// verification is the verify route's request, with the id of the record
// it creates.
type verification struct {
	Code           string `json:"code"`
	verificationID string
}

func (m *Method) parseVerify(r *http.Request) (verification, error) {
	in := verification{verificationID: m.h.NewID()}
	err := httpx.Decode(r, &in)
	if err == nil && in.Code == "" {
		err = httpx.Invalid("body", `"code" is required`)
	}
	return in, err
}

// verify serves POST /verification/backup-code/verify: the code
// is consumed on the user in the same atomic append, so it works once even
// under concurrent requests.
func (m *Method) verify(ctx context.Context, s *experience.Step, in verification) (experience.Reply, error) {
	u, err := m.h.RequireUser(ctx, s)
	if err != nil {
		return experience.Reply{}, err
	}
	g, err := m.h.UserGuard(ctx, s, sentinel.PoolBackupCode, u.ID)
	if err != nil {
		return experience.Reply{}, err
	}
	find := func(stored []user.CodeHash) (int, bool) {
		hashes := make([]codes.Hash, len(stored))
		for i, c := range stored {
			hashes[i] = codes.Hash{KeyID: c.KeyID, Sum: c.Sum}
		}
		return m.hasher.Find(hashes, u.ID, in.Code)
	}
	out := Verify(s.State, u, s.In(), in.verificationID, find, m.h.Attempt(g, m.h.Clock().Now()))
	if err := s.Settle(g, u.ID, out); err != nil {
		return experience.Reply{}, err
	}
	return experience.Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}
