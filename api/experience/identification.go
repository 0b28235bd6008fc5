package experience

import (
	"context"
	"net/http"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/domain/user"
)

type identificationBody struct {
	VerificationID     string `json:"verificationId"`
	LinkSocialIdentity bool   `json:"linkSocialIdentity"`
}

// identification is POST /identification's request, with the id of the
// user a Register identification may create.
type identification struct {
	identificationBody
	newUser *accounts.NewUser
}

func (h *Handler) parseIdentification(r *http.Request) (identification, error) {
	in := identification{newUser: h.users.NewUser()}
	err := httpx.Decode(r, &in.identificationBody)
	return in, err
}

// identify serves POST /identification: SignIn and
// ForgotPassword bind an existing user; Register creates the user.
func (h *Handler) identify(ctx context.Context, s *Step, body identification) (Reply, error) {
	if s.State.Event != settings.EventForgotPassword {
		if err := h.guardRecordEmail(s, body.VerificationID); err != nil {
			return Reply{}, err
		}
	}
	if s.State.Event == settings.EventRegister {
		return h.register(ctx, s, body.VerificationID, body.newUser)
	}
	var events []domain.Event
	var err error
	if f, ok := interaction.RecordOf[interaction.Federated](s.State, body.VerificationID); ok {
		events, err = h.identifyFederated(ctx, s, f, body)
	} else {
		var u *user.State
		if u, err = h.recordUser(ctx, s, body.VerificationID); err == nil {
			events, err = interaction.IdentifyExisting(s.State, h.Settings(), body.VerificationID, u)
		}
	}
	if err != nil {
		return Reply{}, err
	}
	s.Append(events...)
	return Reply{Status: http.StatusNoContent}, nil
}

// recordUser is the user an identifying record proves (Identifies): by
// id, or as the owner of its identifier.
func (h *Handler) recordUser(ctx context.Context, s *Step, verificationID string) (*user.State, error) {
	rec, ok := interaction.RecordOf[interaction.Identifying](s.State, verificationID)
	if !ok {
		return nil, nil
	}
	id := rec.Identifies()
	if id.UserID != "" {
		return accounts.Load(ctx, s.Tx, id.UserID)
	}
	kind, key := h.users.Identifier(id.Kind, id.Value)
	return accounts.Lookup(ctx, s.Tx, kind, key)
}

// identifyFederated identifies by a social or SSO identity: its owner,
// else the user a verified email or phone of the provider's names.
func (h *Handler) identifyFederated(ctx context.Context, s *Step, f interaction.Federated, body identification) ([]domain.Event, error) {
	in := interaction.FederatedInput{VerificationID: body.VerificationID, Link: body.LinkSocialIdentity}
	id := f.FederatedIdentity()
	var err error
	if id.ID != "" {
		if in.Owner, err = accounts.Lookup(ctx, s.Tx, id.Kind, id.Key()); err != nil {
			return nil, err
		}
	}
	if in.Owner == nil {
		if in.Related, err = h.relatedUser(ctx, s, f); err != nil {
			return nil, err
		}
	}
	return interaction.IdentifyFederated(s.State, h.Settings(), in)
}

// relatedUser is the user owning the provider's verified phone, else its
// verified email (an enterprise IdP relates by email only).
func (h *Handler) relatedUser(ctx context.Context, s *Step, f interaction.Federated) (*interaction.Related, error) {
	email, phone := f.VerifiedContacts()
	if f.FederatedIdentity().Kind == user.KindSSO {
		phone = ""
	}
	for _, c := range []struct{ typ, value string }{{user.KindPhone, phone}, {user.KindEmail, email}} {
		if c.value == "" {
			continue
		}
		kind, key := h.users.Identifier(c.typ, c.value)
		u, err := accounts.Lookup(ctx, s.Tx, kind, key)
		if err != nil {
			return nil, err
		}
		if u != nil && u.Exists {
			return &interaction.Related{User: u, Type: c.typ, Value: c.value}, nil
		}
	}
	return nil, nil
}

// register creates the user in one atomic append: the user's first event,
// the claims of its unique identifiers, and the interaction's binding. A
// user id or identifier claimed meanwhile makes the append conflict, and
// the step is decided again. A refusal keeps the profile staged from the
// record (docs/experience.md, Registration: the client may complete it and
// identify again).
func (h *Handler) register(ctx context.Context, s *Step, verificationID string, newUser *accounts.NewUser) (Reply, error) {
	in := interaction.RegisterInput{VerificationID: verificationID, InteractionID: s.ID, Now: h.clock.Now()}
	candidates := interaction.Candidates(s.State, verificationID)
	var err error
	if in.Taken, err = h.users.Taken(ctx, s.Tx, candidates, ""); err != nil {
		return Reply{}, err
	}
	if email, ok := candidates[user.KindEmail]; ok {
		in.EmailViolation = h.EmailViolation(email)
	}
	if err := newUser.Check(ctx, s.Tx); err != nil {
		return Reply{}, err
	}
	var drawFailed func() error
	in.NewUserID, drawFailed = newUser.Draw(ctx)
	out := interaction.IdentifyNewUser(s.State, h.Settings(), in)
	if err := drawFailed(); err != nil {
		return Reply{}, err
	}
	if out.Err != nil {
		s.Tx.Keep(s.Subject, out.Interaction...)
		return Reply{}, out.Err
	}
	s.Append(out.Interaction...)
	h.users.Create(s.Tx, out.User)
	if l := out.Linked; l != nil {
		s.Tx.Append(accounts.Subject(out.User.UserID), l)
		accounts.Claim(s.Tx, l.Identity.Kind, l.Identity.Key(), out.User.UserID)
	}
	return Reply{Status: http.StatusCreated, Body: struct{}{}}, nil
}
