package onelogin

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/user"
)

// usersMaxNameLength bounds firstname and lastname (characters).
const usersMaxNameLength = 255

// usersPhonePattern admits E.164 and the usual punctuation around it.
var usersPhonePattern = regexp.MustCompile(`^\+?[0-9 ().-]+$`)

// usersDecode reads a JSON object body: not JSON is 400 BadRequestError, a
// value of the wrong JSON type 422 naming its field, over 64 KiB 413. An
// empty body is {}.
func usersDecode(r *http.Request) (usersCreateBody, error) {
	var body usersCreateBody
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, httpx.MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return body, domain.E("onelogin.payload_too_large")
	case err != nil:
		return body, domain.E("onelogin.bad_request")
	case len(strings.TrimSpace(string(data))) == 0:
		return body, nil
	}
	err = json.Unmarshal(data, &body)
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return body, usersValidation([]usersIssue{{typeErr.Field, typeErr.Field + " must be a " + typeErr.Type.String()}})
	case err != nil:
		return body, domain.E("onelogin.bad_request")
	}
	return body, nil
}

// usersValidation is a 422 ValidationError naming every issue's parameter;
// the message joins the issues' messages.
func usersValidation(issues []usersIssue) *domain.Error {
	params := make([]string, 0, len(issues))
	msgs := make([]string, 0, len(issues))
	for _, is := range issues {
		params = append(params, is.param)
		msgs = append(msgs, is.message)
	}
	return ValidationFailed(params...).WithMessage(strings.Join(msgs, "; "))
}

// validate checks a trimmed body against the policies, in parameter order.
func (u *UsersAPI) validate(b usersCreateBody) []usersIssue {
	var issues []usersIssue
	add := func(param, message string) { issues = append(issues, usersIssue{param, message}) }
	if b.Email == "" && b.Username == "" {
		add("email", "email or username is required")
		add("username", "email or username is required")
	}
	if b.Username != "" {
		if refused := u.settings.UsernamePolicy.WithDefaults().Check(b.Username); refused != nil {
			add("username", "username is invalid: "+refused.Code)
		}
	}
	if b.Email != "" && !user.WellFormedEmail(b.Email) {
		add("email", "email is invalid")
	}
	if digits := user.NormalizePhone(b.Phone); b.Phone != "" && (!usersPhonePattern.MatchString(b.Phone) || len(digits) < 4 || len(digits) > 15) {
		add("phone", "phone must be an E.164 number")
	}
	if utf8.RuneCountInString(b.Firstname) > usersMaxNameLength {
		add("firstname", "firstname is too long")
	}
	if utf8.RuneCountInString(b.Lastname) > usersMaxNameLength {
		add("lastname", "lastname is too long")
	}
	switch {
	case b.Password == "" && b.PasswordConfirmation != "":
		add("password", "password is required with password_confirmation")
	case b.Password != "":
		info := password.UserInfo{Name: strings.TrimSpace(b.Firstname + " " + b.Lastname), Username: b.Username, Email: b.Email, Phone: user.CanonicalPhone(b.Phone)}
		if codes := usersIssueCodes(u.settings.PasswordPolicy.WithDefaults().Check(b.Password, info, nil)); codes != "" {
			add("password", "password does not meet the password policy: "+codes)
		}
		if b.PasswordConfirmation != b.Password {
			add("password_confirmation", "password_confirmation does not match password")
		}
	}
	return issues
}

func usersIssueCodes(issues []password.Issue) string {
	codes := make([]string, len(issues))
	for i, is := range issues {
		codes[i] = is.Code
	}
	return strings.Join(codes, ", ")
}
