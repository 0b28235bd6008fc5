package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

type identificationBody struct {
	VerificationID     string `json:"verificationId"`
	LinkSocialIdentity bool   `json:"linkSocialIdentity"`
}

// identify serves POST /identification (spec §1.3): SignIn and
// ForgotPassword bind an existing user; Register creates the user.
func (h *Handler) identify(w http.ResponseWriter, r *http.Request) {
	var body identificationBody
	bodyErr := httpx.Decode(r, &body)
	newUserID := ""
	h.serve(w, r, "identification", func(ctx context.Context, s *step) (reply, error) {
		if bodyErr != nil {
			return reply{}, bodyErr
		}
		if s.State.Event == settings.EventRegister {
			return h.register(ctx, s, body.VerificationID, &newUserID)
		}
		u, err := h.recordUser(ctx, s, body.VerificationID)
		if err != nil {
			return reply{}, err
		}
		events, err := interaction.IdentifyExisting(s.State, h.sie(), body.VerificationID, u)
		if err != nil {
			return reply{}, err
		}
		s.append(events...)
		return reply{status: http.StatusNoContent}, nil
	})
}

// recordUser is the user a verification record points at: a password
// record names it, a code record is looked up by its identifier.
func (h *Handler) recordUser(ctx context.Context, s *step, verificationID string) (*user.State, error) {
	rec, ok := s.State.Record(verificationID)
	switch {
	case !ok:
		return nil, nil
	case rec.UserID != "":
		return accounts.Load(ctx, s.tx, rec.UserID)
	case rec.Identifier != nil && (rec.Type == interaction.RecordEmailCode || rec.Type == interaction.RecordPhoneCode):
		kind, key := h.lookupKey(identifierBody{Type: rec.Identifier.Type, Value: rec.Identifier.Value})
		return accounts.Lookup(ctx, s.tx, kind, key)
	}
	return nil, nil
}

// register creates the user in one atomic append: the user's first event,
// the claims of its unique identifiers, and the interaction's binding. A
// user id or identifier claimed meanwhile makes the append conflict, and
// the step is decided again. newUserID is allocated only when the user is
// created, kept across re-decisions, and replaced when another process took it.
func (h *Handler) register(ctx context.Context, s *step, verificationID string, newUserID *string) (reply, error) {
	in := interaction.RegisterInput{VerificationID: verificationID, InteractionID: s.ID, Now: h.clock.Now()}
	candidates := interaction.Candidates(s.State, verificationID)
	var err error
	if in.Taken, err = h.owners(ctx, s.tx, candidates, ""); err != nil {
		return reply{}, err
	}
	if email, ok := candidates[user.KindEmail]; ok {
		in.EmailViolation = h.emailViolation(email)
	}
	if *newUserID != "" {
		// Decided again after a conflict: another process may own the id.
		existing, err := accounts.Load(ctx, s.tx, *newUserID)
		if err != nil {
			return reply{}, err
		}
		if existing != nil {
			*newUserID = ""
		}
	}
	in.NewUserID = func() string {
		if *newUserID == "" {
			*newUserID = h.users.NextID()
		}
		return *newUserID
	}
	out := interaction.IdentifyNewUser(s.State, h.sie(), in)
	s.append(out.Interaction...)
	if out.Err != nil {
		return reply{}, out.Err
	}
	s.tx.Append(accounts.Subject(out.User.UserID), out.User)
	h.claim(s.tx, candidates, out.User.UserID)
	return reply{http.StatusCreated, struct{}{}}, nil
}
