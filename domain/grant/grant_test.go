package grant_test

import (
	"testing"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/grant"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

const id = "grantgrantgrantgrant1"

func requested() *grant.Requested {
	return &grant.Requested{ClientID: "app", RedirectURI: "https://app/cb", Scopes: []string{"openid"}, ResponseType: "code", ExpiresAt: t0.Add(time.Hour)}
}

func types(events []domain.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return out
}

func fold(events ...domain.Event) grant.State { return grant.Fold(id, events) }

func tokens(i int, refresh bool) grant.Tokens {
	access, refreshID := grant.TokenIDs(id, i)
	t := grant.Tokens{AccessTokenID: access, AccessExpiresAt: t0.Add(time.Hour)}
	if refresh {
		exp := t0.Add(24 * time.Hour)
		t.RefreshTokenID, t.Refresh, t.RefreshExpiresAt = refreshID, &code.Digest{KeyID: "k", Sum: refreshID}, &exp
	}
	return t
}

func TestAuthenticate(t *testing.T) {
	auth := grant.Authenticated{UserID: "1", SessionID: "s"}
	cases := []struct {
		name  string
		state grant.State
		now   time.Time
		want  []string
		err   string
	}{
		{"live request", fold(requested()), t0, []string{"oidc.code.issued"}, ""},
		{"no request", fold(), t0, nil, "invalid_request"},
		{"expired", fold(requested()), t0.Add(2 * time.Hour), nil, "invalid_request"},
		{"answered already", fold(requested(), &grant.CodeIssued{Authenticated: auth}), t0, nil, "invalid_request"},
		{"refused", fold(requested(), &grant.Refused{Endpoint: grant.EndpointAuthorization}), t0, nil, "invalid_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, err := grant.Authenticate(c.state, auth, code.Digest{}, c.now, time.Minute)
			if domain.Code(err) != c.err || len(types(events)) != len(c.want) {
				t.Fatalf("got %v %v, want %v %q", types(events), err, c.want, c.err)
			}
		})
	}
	// A refusal at the callback (another browser) does not end the request.
	if !fold(requested(), &grant.Refused{Endpoint: grant.EndpointCallback}).Ready(t0) {
		t.Fatal("a callback refusal ended the request")
	}
}

func TestExchange(t *testing.T) {
	issued := []domain.Event{requested(), &grant.CodeIssued{Authenticated: grant.Authenticated{UserID: "1"}, ExpiresAt: t0.Add(time.Minute)}}
	live := fold(issued...)
	spent := fold(append(issued, &grant.CodeExchanged{Tokens: tokens(0, false)})...)
	cases := []struct {
		name    string
		state   grant.State
		matches bool
		now     time.Time
		want    []string
	}{
		{"first exchange", live, true, t0, []string{"oidc.code.exchanged"}},
		{"wrong code", live, false, t0, nil},
		{"expired", live, true, t0.Add(time.Minute), nil},
		{"reused: refused, grant revoked", spent, true, t0, []string{"oidc.code.reused", "oidc.grant.revoked"}},
		{"reused with a wrong code: nothing", spent, false, t0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events, err := grant.Exchange(c.state, c.matches, tokens(0, false), c.now)
			if (err == nil) != (c.name == "first exchange") || len(events) != len(c.want) {
				t.Fatalf("got %v %v, want %v", types(events), err, c.want)
			}
			for i, typ := range types(events) {
				if typ != c.want[i] {
					t.Fatalf("got %v, want %v", types(events), c.want)
				}
			}
		})
	}
	revoked := fold(append(issued, &grant.CodeExchanged{Tokens: tokens(0, false)}, &grant.CodeReused{}, &grant.Revoked{Reason: grant.ReasonCodeReused})...)
	if revoked.AccessActive(tokens(0, false).AccessTokenID, t0) {
		t.Fatal("the first exchange's access token survived the reuse")
	}
}

func TestRotate(t *testing.T) {
	base := []domain.Event{requested(), &grant.CodeIssued{Authenticated: grant.Authenticated{UserID: "1"}, ExpiresAt: t0.Add(time.Minute)},
		&grant.CodeExchanged{Tokens: tokens(0, true)}}
	st := fold(base...)
	first := tokens(0, true).RefreshTokenID
	events, err := grant.Rotate(st, first, true, tokens(1, true), t0)
	if err != nil || types(events)[0] != "oidc.refresh.rotated" {
		t.Fatalf("rotation: %v %v", types(events), err)
	}
	rotated := fold(append(base, events...)...)
	if !rotated.AccessActive(tokens(1, true).AccessTokenID, t0) || rotated.Issued != 2 {
		t.Fatal("the rotation's access token is not live")
	}
	events, err = grant.Rotate(rotated, first, true, tokens(2, true), t0)
	if err == nil || len(events) != 2 || types(events)[1] != "oidc.grant.revoked" {
		t.Fatalf("reuse: %v %v, want refused with the grant revoked", types(events), err)
	}
	if events, err := grant.Rotate(rotated, first, false, tokens(2, true), t0); err == nil || events != nil {
		t.Fatalf("a spent id with a wrong secret: %v %v, want refused, nothing recorded", types(events), err)
	}
	if _, err := grant.Rotate(rotated, tokens(1, true).RefreshTokenID, true, tokens(2, true), t0.Add(25*time.Hour)); err == nil {
		t.Fatal("an expired refresh token rotated")
	}
	revoked := fold(append(base, events...)...)
	if _, err := grant.Rotate(revoked, tokens(1, true).RefreshTokenID, true, tokens(2, true), t0); err == nil {
		t.Fatal("a revoked grant rotated")
	}
}

func TestRevokeAndTokenIDs(t *testing.T) {
	st := fold(requested(), &grant.CodeIssued{Authenticated: grant.Authenticated{UserID: "1"}, ExpiresAt: t0.Add(time.Minute)},
		&grant.CodeExchanged{Tokens: tokens(0, true)})
	access, refresh := grant.TokenIDs(id, 0)
	if grant.GrantOf(access) != id || grant.GrantOf(refresh) != id || grant.GrantOf("x.a1") != "" || grant.GrantOf(id+".q1") != "" {
		t.Fatal("GrantOf")
	}
	if got := types(grant.Revoke(st, access)); len(got) != 1 {
		t.Fatalf("revoke access: %v", got)
	}
	if got := grant.Revoke(st, id+".a9"); got != nil {
		t.Fatalf("revoke an unknown token: %v, want nothing", got)
	}
	after := fold(requested(), &grant.CodeIssued{Authenticated: grant.Authenticated{UserID: "1"}, ExpiresAt: t0.Add(time.Minute)},
		&grant.CodeExchanged{Tokens: tokens(0, true)}, &grant.TokenRevoked{TokenID: refresh})
	if !after.Revoked || after.AccessActive(access, t0) {
		t.Fatal("revoking the refresh token did not end the grant")
	}
}
