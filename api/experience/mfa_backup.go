package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/backupcode"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
)

// backupCodes is the generate route's request: the id of the record it
// creates and the codes drawn for it.
type backupCodes struct {
	verificationID string
	codes          []string
}

func (h *Handler) parseBackupCodes(*http.Request) (backupCodes, error) {
	codes, err := backupcode.Generate(h.random)
	return backupCodes{verificationID: h.ids.NewID(), codes: codes}, err
}

// generateBackupCodes serves POST /verification/backup-code/generate (spec
// §1.24): the codes are in the response once; events keep keyed hashes.
func (h *Handler) generateBackupCodes(_ context.Context, s *Step, in backupCodes) (Reply, error) {
	hashes := make([]user.CodeHash, len(in.codes))
	for i, c := range in.codes {
		hash := h.backupCodes.Hash(s.State.UserID, c)
		hashes[i] = user.CodeHash{KeyID: hash.KeyID, Sum: hash.Sum}
	}
	events, err := interaction.GenerateBackupCodes(s.State, in.verificationID, hashes)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusOK, Body: map[string]any{"verificationId": in.verificationID, "codes": in.codes}}, nil
}

// backupCodeVerification is the verify route's request, with the id of the
// record it creates.
type backupCodeVerification struct {
	Code           string `json:"code"`
	verificationID string
}

func (h *Handler) parseBackupCodeVerification(r *http.Request) (backupCodeVerification, error) {
	in := backupCodeVerification{verificationID: h.ids.NewID()}
	err := httpx.Decode(r, &in)
	if err == nil && in.Code == "" {
		err = httpx.Invalid("body", `"code" is required`)
	}
	return in, err
}

// verifyBackupCode serves POST /verification/backup-code/verify (spec §1.25):
// the code is consumed on the user in the same atomic append, so it works
// once even under concurrent requests.
func (h *Handler) verifyBackupCode(ctx context.Context, s *Step, in backupCodeVerification) (Reply, error) {
	u, err := h.identifiedUser(ctx, s)
	if err != nil || u == nil {
		return Reply{}, orIdentifierNotFound(err)
	}
	g, err := h.loadGuard(ctx, s, sentinel.PoolBackupCode, u.ID)
	if err != nil {
		return Reply{}, err
	}
	find := func(stored []user.CodeHash) (int, bool) {
		hashes := make([]backupcode.Hash, len(stored))
		for i, c := range stored {
			hashes[i] = backupcode.Hash{KeyID: c.KeyID, Sum: c.Sum}
		}
		return h.backupCodes.Find(hashes, u.ID, in.Code)
	}
	out := interaction.VerifyBackupCode(s.State, u, in.verificationID, find, h.attempt(g, h.clock.Now()))
	if err := s.settle(g, u.ID, out); err != nil {
		return Reply{}, err
	}
	return Reply{Status: http.StatusOK, Body: map[string]string{"verificationId": in.verificationID}}, nil
}
