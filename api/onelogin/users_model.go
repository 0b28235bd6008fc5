package onelogin

import (
	"strconv"
	"strings"
	"time"
)

// OneLogin user status and state codes (Users API: status 0 Unactivated,
// 1 Active, 2 Suspended, 3 Locked, …; state 0 Unapproved, 1 Approved, …).
const (
	usersStatusActive    = 1
	usersStatusSuspended = 2
	usersStateApproved   = 1
)

// usersTimeLayout is the user resource's date format, UTC with
// milliseconds: "2016-01-21T09:20:15.990Z".
const usersTimeLayout = "2006-01-02T15:04:05.000Z"

// Profile keys firstname and lastname are stored under (OIDC claim names,
// as the Experience API's profile uses).
const (
	usersGivenName  = "givenName"
	usersFamilyName = "familyName"
)

// usersModel is the onelogin-python-sdk 4.x User model subset this server
// fills in: every field is optional there, so an absent value is null, and
// the pydantic types are strict (StrictInt, StrictStr). A password or its
// digest never appears.
type usersModel struct {
	ID                   int64   `json:"id"`
	Username             *string `json:"username"`
	Email                *string `json:"email"`
	Firstname            *string `json:"firstname"`
	Lastname             *string `json:"lastname"`
	Phone                *string `json:"phone"`
	Status               int     `json:"status"`
	State                int     `json:"state"`
	CreatedAt            *string `json:"created_at"`
	UpdatedAt            *string `json:"updated_at"`
	LastLogin            *string `json:"last_login"`
	PasswordChangedAt    *string `json:"password_changed_at"`
	LockedUntil          *string `json:"locked_until"`
	InvalidLoginAttempts int     `json:"invalid_login_attempts"`
}

// model renders a user. Sign-ins and lockouts are recorded on interactions
// and per-identifier sentinels, not on the user, so last_login and
// locked_until are null and invalid_login_attempts is 0.
func (rec *usersRecord) model() usersModel {
	s := &rec.state
	id, _ := strconv.ParseInt(s.ID, 10, 64)
	m := usersModel{
		ID:                id,
		Username:          usersString(s.Username),
		Email:             usersString(s.PrimaryEmail),
		Firstname:         usersProfileString(s.Profile, usersGivenName),
		Lastname:          usersProfileString(s.Profile, usersFamilyName),
		Status:            usersStatusActive,
		State:             usersStateApproved,
		CreatedAt:         usersTime(s.CreatedAt),
		UpdatedAt:         usersTime(rec.updatedAt),
		PasswordChangedAt: usersTime(s.PasswordUpdatedAt),
	}
	if s.PrimaryPhone != "" {
		// Stored as Logto does (E.164 digits); OneLogin shows E.164 with "+".
		m.Phone = usersString("+" + strings.TrimPrefix(s.PrimaryPhone, "+"))
	}
	if s.Suspended {
		m.Status = usersStatusSuspended
	}
	return m
}

func usersString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func usersProfileString(profile map[string]any, key string) *string {
	v, _ := profile[key].(string)
	return usersString(v)
}

func usersTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := t.UTC().Format(usersTimeLayout)
	return &v
}
