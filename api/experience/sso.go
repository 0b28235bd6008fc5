package experience

import (
	"net/http"
	"net/mail"
	"strings"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
)

// ssoConnectors serves GET /sso-connectors?email=: the SSO connectors
// whose domains list the email's (docs/experience.md, Enterprise SSO). It
// needs the interaction cookie, not a started interaction.
func (h *Handler) ssoConnectors(w http.ResponseWriter, r *http.Request) {
	if h.interactionID(r) == "" {
		httpx.Error(w, r, h.log, domain.E("session.not_found"))
		return
	}
	email := r.URL.Query().Get("email")
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || strings.HasSuffix(email, "@") {
		httpx.Error(w, r, h.log, httpx.Invalid("query", `"email" must be an email address`))
		return
	}
	ids := []string{}
	if h.Settings().SingleSignOnEnabled {
		for _, c := range interaction.SSOConnectorsFor(h.cfg.SSOConnectors, email) {
			ids = append(ids, c.ID)
		}
	}
	httpx.JSON(w, http.StatusOK, map[string][]string{"connectorIds": ids})
}

// GuardSSOEmail refuses an email of an SSO-only domain
// (session.sso_enabled) where the contract asks: identification by any
// record but an SSO one, POST /profile email and social, POST /profile/mfa
// email.
func (h *Handler) GuardSSOEmail(email string) error {
	return interaction.GuardSSOEmail(h.Settings(), h.cfg.SSOConnectors, email)
}

// guardRecordEmail applies GuardSSOEmail to the email record
// verificationID carries, if any.
func (h *Handler) guardRecordEmail(s *Step, verificationID string) error {
	rec, ok := s.State.Record(verificationID)
	if !ok {
		return nil
	}
	return h.GuardSSOEmail(interaction.RecordEmail(rec))
}
