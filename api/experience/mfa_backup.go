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

// generateBackupCodes serves POST /verification/backup-code/generate (spec
// §1.24): the codes are in the response once; events keep keyed hashes.
func (h *Handler) generateBackupCodes(w http.ResponseWriter, r *http.Request) {
	verificationID := h.ids.NewID()
	codes, codesErr := backupcode.Generate(h.random)
	h.serve(w, r, "verification.backup-code.generate", func(ctx context.Context, s *step) (reply, error) {
		if codesErr != nil {
			return reply{}, codesErr
		}
		hashes := make([]user.CodeHash, len(codes))
		for i, c := range codes {
			hash := h.backupCodes.Hash(s.State.UserID, c)
			hashes[i] = user.CodeHash{KeyID: hash.KeyID, Sum: hash.Sum}
		}
		events, err := interaction.GenerateBackupCodes(s.State, verificationID, hashes)
		if err != nil {
			return reply{}, err
		}
		s.append(events...)
		return reply{http.StatusOK, map[string]any{"verificationId": verificationID, "codes": codes}}, nil
	})
}

// verifyBackupCode serves POST /verification/backup-code/verify (spec §1.25):
// the code is consumed on the user in the same atomic append, so it works
// once even under concurrent requests.
func (h *Handler) verifyBackupCode(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Code string `json:"code"`
	}
	bodyErr := httpx.Decode(r, &body)
	if bodyErr == nil && body.Code == "" {
		bodyErr = httpx.Invalid("body", `"code" is required`)
	}
	verificationID := h.ids.NewID()
	h.serve(w, r, "verification.backup-code.verify", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		u, err := h.identifiedUser(ctx, s)
		if err != nil || u == nil {
			return reply{}, orIdentifierNotFound(err)
		}
		g, err := h.loadGuard(ctx, s, sentinel.PoolBackupCode, u.ID)
		if err != nil {
			return reply{}, err
		}
		find := func(stored []user.CodeHash) (int, bool) {
			hashes := make([]backupcode.Hash, len(stored))
			for i, c := range stored {
				hashes[i] = backupcode.Hash{KeyID: c.KeyID, Sum: c.Sum}
			}
			return h.backupCodes.Find(hashes, u.ID, body.Code)
		}
		out := interaction.VerifyBackupCode(s.State, u, verificationID, find, h.attempt(g, h.clock.Now()))
		if err := s.settle(g, u.ID, out); err != nil {
			return reply{}, err
		}
		return reply{http.StatusOK, map[string]string{"verificationId": verificationID}}, nil
	})
}
