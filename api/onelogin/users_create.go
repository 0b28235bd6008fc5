package onelogin

import (
	"context"
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

// usersClaim is a unique identifier value a new user claims, with the
// request parameter it came from.
type usersClaim struct {
	param, kind, key string
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
	claims  []usersClaim
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
	return userCreation{ev: ev, claims: u.claims(body), newUser: u.users.NewUser()}, nil
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

// register decides one attempt.
func (u *UsersAPI) register(ctx context.Context, tx *eventstore.Tx, in userCreation) (*usersRecord, error) {
	var taken []usersIssue
	for _, c := range in.claims {
		owner, err := accounts.Owner(ctx, tx, c.kind, c.key)
		if err != nil {
			return nil, err
		}
		if owner != "" {
			taken = append(taken, usersIssue{c.param, c.param + " is already in use"})
		}
	}
	if len(taken) > 0 {
		return nil, usersValidation(taken)
	}
	if err := in.newUser.Check(ctx, tx); err != nil {
		return nil, err
	}
	ev := *in.ev
	ev.UserID = in.newUser.ID()
	tx.Append(accounts.Subject(ev.UserID), &ev)
	for _, c := range in.claims {
		accounts.Claim(tx, c.kind, c.key, ev.UserID)
	}
	return &usersRecord{state: user.Fold([]domain.Event{&ev}), updatedAt: ev.CreatedAt}, nil
}

// claims are the unique values of a valid body, normalised as the
// Experience API looks them up: usernames per the case policy, emails
// case-insensitive, phones as canonical E.164 digits.
func (u *UsersAPI) claims(b usersCreateBody) []usersClaim {
	var out []usersClaim
	if b.Username != "" {
		out = append(out, usersClaim{"username", user.KindUsername, u.usernameKey(b.Username)})
	}
	if b.Email != "" {
		out = append(out, usersClaim{"email", user.KindEmail, user.NormalizeEmail(b.Email)})
	}
	if b.Phone != "" {
		out = append(out, usersClaim{"phone", user.KindPhone, user.CanonicalPhone(b.Phone)})
	}
	return out
}

func (u *UsersAPI) usernameKey(name string) string {
	return u.settings.UsernamePolicy.WithDefaults().Normalize(name)
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
