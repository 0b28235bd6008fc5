package onelogin

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/eventstore"
)

// usersCreateBody is the SDK's User model as create_user2 sends it; other
// keys (title, role_ids, …) are ignored, and so are the validate_policy and
// mappings query parameters: the password policy always applies.
type usersCreateBody struct {
	Email                string `json:"email"`
	Username             string `json:"username"`
	Firstname            string `json:"firstname"`
	Lastname             string `json:"lastname"`
	Phone                string `json:"phone"`
	Password             string `json:"password"`
	PasswordConfirmation string `json:"password_confirmation"`
}

// usersIssue is one invalid parameter and why.
type usersIssue struct {
	param, message string
}

// userCreation is POST /api/2/users' request, validated, with the
// password hashed and the id of the user to create, kept across the
// attempts of its command.
type userCreation struct {
	ev      *user.Registered
	newUser *accounts.NewUser
}

// parseCreate validates the body and hashes the password, once: a command
// decided again after a conflict does not pay for a second hash.
func (u *UsersAPI) parseCreate(r *http.Request) (userCreation, error) {
	body, err := usersDecode(r)
	if err != nil {
		return userCreation{}, err
	}
	body.Email, body.Phone = strings.TrimSpace(body.Email), strings.TrimSpace(body.Phone)
	body.Firstname, body.Lastname = strings.TrimSpace(body.Firstname), strings.TrimSpace(body.Lastname)
	if issues := u.validate(body); len(issues) > 0 {
		return userCreation{}, usersValidation(issues)
	}
	digest := ""
	if body.Password != "" {
		if digest, err = u.hasher.Hash(r.Context(), body.Password); err != nil {
			return userCreation{}, err
		}
	}
	ev := &user.Registered{Username: body.Username, PrimaryEmail: body.Email,
		PrimaryPhone: user.CanonicalPhone(body.Phone), PasswordDigest: digest, CreatedAt: u.clock.Now().UTC()}
	ev.Name, ev.Profile = usersNames(body.Firstname, body.Lastname)
	return userCreation{ev: ev, newUser: u.users.NewUser()}, nil
}

// create serves POST /api/2/users: claim the identifiers and register the
// user in one atomic append. A value claimed meanwhile makes the append
// conflict and the command is decided again, so of two concurrent creates
// with one email exactly one succeeds.
func (u *UsersAPI) create(ctx context.Context, tx *eventstore.Tx, in userCreation, inErr error) (command.Reply, error) {
	if inErr != nil {
		return command.Reply{}, inErr
	}
	rec, err := u.register(ctx, tx, in)
	if err != nil {
		return command.Reply{}, err
	}
	return command.Reply{Status: http.StatusCreated, Body: rec.model()}, nil
}

// register decides one attempt by the registration decision the
// Experience API shares (user.Register); every identifier already in use is
// named in the 422.
func (u *UsersAPI) register(ctx context.Context, tx *eventstore.Tx, in userCreation) (*usersRecord, error) {
	taken, err := u.users.Taken(ctx, tx, in.ev.Identifiers(), "")
	if err != nil {
		return nil, err
	}
	if err := in.newUser.Check(ctx, tx); err != nil {
		return nil, err
	}
	newID, drawFailed := in.newUser.Draw(ctx)
	ev, err := user.Register(*in.ev, taken, newID)
	if err == nil {
		err = drawFailed()
	}
	var conflict *user.TakenError
	if errors.As(err, &conflict) {
		issues := make([]usersIssue, len(conflict.Kinds))
		for i, kind := range conflict.Kinds {
			issues[i] = usersIssue{kind, kind + " is already in use"} // the kinds are the parameters' names
		}
		return nil, usersValidation(issues)
	}
	if err != nil {
		return nil, err
	}
	u.users.Create(tx, ev)
	return &usersRecord{state: user.Fold([]domain.Event{ev}), updatedAt: ev.CreatedAt}, nil
}

// usersNames maps firstname and lastname onto the profile's OIDC claims
// and the display name "first last".
func usersNames(first, last string) (string, map[string]any) {
	profile := map[string]any{}
	if first != "" {
		profile[usersGivenName] = first
	}
	if last != "" {
		profile[usersFamilyName] = last
	}
	if len(profile) == 0 {
		profile = nil
	}
	return strings.TrimSpace(first + " " + last), profile
}
