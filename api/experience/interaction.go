package experience

import (
	"context"
	"net/http"
	"slices"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

var interactionEvents = []string{settings.EventSignIn, settings.EventRegister, settings.EventForgotPassword}

type eventBody struct {
	InteractionEvent string  `json:"interactionEvent"`
	CaptchaToken     *string `json:"captchaToken"`
}

func decodeEvent(r *http.Request) (eventBody, error) {
	var body eventBody
	if err := httpx.Decode(r, &body); err != nil {
		return body, err
	}
	if !slices.Contains(interactionEvents, body.InteractionEvent) {
		return body, httpx.Invalid("body", `"interactionEvent" must be SignIn, Register or ForgotPassword`)
	}
	return body, nil
}

// startInput is PUT /api/experience's request: its body and the cookie's
// interaction, if any.
type startInput struct {
	eventBody
	id     string
	client interaction.Client
}

func (h *Handler) parseStart(r *http.Request) (startInput, error) {
	body, err := decodeEvent(r)
	if err == nil && body.CaptchaToken != nil {
		// No captcha provider is in scope (docs/experience.md, decision 3).
		err = domain.E("session.captcha_failed")
	}
	client := interaction.Client{IP: httpx.ClientIP(r, h.cfg.TrustedProxies), UserAgent: httpx.UserAgent(r)}
	return startInput{eventBody: body, id: h.interactionID(r), client: client}, err
}

// start serves PUT /api/experience: a request without a valid
// cookie for a live interaction begins a new one. Nothing is recorded for a
// refused start: there may be no interaction to record it on.
func (h *Handler) start(ctx context.Context, tx *eventstore.Tx, in startInput, inErr error) (Reply, error) {
	if inErr != nil {
		return Reply{}, inErr
	}
	now := h.clock.Now()
	id, authorization := in.id, ""
	if id != "" {
		subject := eventstore.MustSubject(interaction.AggregateType, id)
		envs, err := tx.Load(ctx, subject)
		if err != nil {
			return Reply{}, err
		}
		events, err := eventstore.Decode(envs, h.events)
		if err != nil {
			return Reply{}, err
		}
		if st := interaction.Fold(events); !st.Started || !now.Before(st.ExpiresAt) || st.Completed {
			id = ""
		} else {
			authorization = st.Authorization
		}
	}
	if id == "" {
		id = h.ids.NewID()
	}
	tx.Append(eventstore.MustSubject(interaction.AggregateType, id), interaction.Start(in.InteractionEvent, now, h.cfg.TTL, in.client, authorization)...)
	return Reply{Status: http.StatusNoContent, Header: http.Header{"Set-Cookie": {h.cookie(id).String()}}}, nil
}

// switchEvent serves PUT /api/experience/interaction-event.
func (h *Handler) switchEvent(_ context.Context, s *Step, body eventBody) (Reply, error) {
	events, err := interaction.SwitchEvent(s.State, h.Settings(), body.InteractionEvent)
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// getInteraction serves GET /api/experience/interaction: the sanitized
// state, without digests.
func (h *Handler) getInteraction(w http.ResponseWriter, r *http.Request) {
	id := h.interactionID(r)
	if id == "" {
		httpx.Error(w, r, h.log, domain.E("session.not_found"))
		return
	}
	// Read as a step reads it, with the verifications recorded on the
	// user alone (interaction.State.Adopt); it writes nothing.
	var st interaction.State
	err := h.store.Run(r.Context(), h.meta(r, id), func(tx *eventstore.Tx) error {
		s := &Step{ID: id, Subject: eventstore.MustSubject(interaction.AggregateType, id), Tx: tx}
		if err := h.loadInteraction(r.Context(), s); err != nil {
			return err
		}
		if _, err := h.IdentifiedUser(r.Context(), s); err != nil {
			return err
		}
		st = s.State
		return nil
	})
	if err != nil {
		httpx.Error(w, r, h.log, storeError(err))
		return
	}
	httpx.JSON(w, http.StatusOK, sanitize(st))
}

type publicRecord struct {
	ID         string                  `json:"id"`
	Type       string                  `json:"type"`
	Identifier *interaction.Identifier `json:"identifier,omitempty"`
	Verified   bool                    `json:"verified"`
}

type publicProfile struct {
	Username     *string        `json:"username,omitempty"`
	PrimaryEmail *string        `json:"primaryEmail,omitempty"`
	PrimaryPhone *string        `json:"primaryPhone,omitempty"`
	Name         *string        `json:"name,omitempty"`
	Avatar       *string        `json:"avatar,omitempty"`
	Profile      map[string]any `json:"profile,omitempty"`
	CustomData   map[string]any `json:"customData,omitempty"`
	Submitted    bool           `json:"submitted,omitempty"`
}

type publicInteraction struct {
	InteractionEvent    string          `json:"interactionEvent"`
	UserID              string          `json:"userId,omitempty"`
	Profile             publicProfile   `json:"profile"`
	VerificationRecords []publicRecord  `json:"verificationRecords"`
	MFA                 map[string]any  `json:"mfa"`
	Captcha             map[string]bool `json:"captcha"`
}

func sanitize(st interaction.State) publicInteraction {
	p := st.Profile
	out := publicInteraction{
		InteractionEvent: st.Event,
		UserID:           st.UserID,
		Profile: publicProfile{Username: p.Username, PrimaryEmail: p.PrimaryEmail, PrimaryPhone: p.PrimaryPhone,
			Name: p.Name, Avatar: p.Avatar, Profile: p.Profile, CustomData: p.CustomData, Submitted: p.Submitted},
		VerificationRecords: []publicRecord{},
		MFA:                 sanitizeMFA(st.MFA),
		Captcha:             map[string]bool{"verified": false, "skipped": false},
	}
	for _, rec := range st.Records {
		b := rec.Base()
		out.VerificationRecords = append(out.VerificationRecords, publicRecord{
			ID: b.ID, Type: b.Type, Identifier: b.Identifier, Verified: b.Verified,
		})
	}
	return out
}

// sanitizeMFA shows what is staged without secrets (totp and
// backupCode as {type}, WebAuthn credentials without keys).
func sanitizeMFA(m interaction.MFAStaging) map[string]any {
	out := map[string]any{}
	if m.Enabled != nil {
		out["mfaEnabled"] = *m.Enabled
	}
	if m.Skipped {
		out["mfaSkipped"] = true
	}
	if m.SuggestionSkipped {
		out["additionalBindingSuggestionSkipped"] = true
	}
	var creds []map[string]any
	for _, f := range m.Factors {
		switch f.Type {
		case user.FactorTotp:
			out["totp"] = map[string]string{"type": "Totp"}
		case user.FactorBackupCode:
			out["backupCode"] = map[string]string{"type": "BackupCode"}
		case user.FactorWebAuthn:
			creds = append(creds, map[string]any{"type": "WebAuthn", "credentialId": f.CredentialID, "transports": f.Transports, "agent": f.Agent})
		}
	}
	if len(creds) > 0 {
		out["webAuthn"] = creds
	}
	return out
}
