package onelogin_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/eventstore"
)

// The MFA API's verifies and code sends commit without atomic batches
// (docs/architecture.md, Claims): the use of a TOTP step or a temporary
// token, or a send's count and delivery request, is claimed first, then the
// rest follows. The test server forces a conflict on the last append of
// every first attempt, after the claims committed, so each request below
// is decided again and must find its own claims: each writes one use, one
// count and one delivery request, and one acceptance or code request.
func TestMFAClaimsCommitOnce(t *testing.T) {
	e := mfaNewCodeEnv(t)
	uid := e.userWithPhone("claims", "61412345679")
	userSubject := accounts.Subject(strconv.FormatInt(uid, 10))
	device, secret := e.accept(uid)

	verifies := []struct {
		use string
		otp func() string
	}{
		{"user.mfa.totp_used", func() string { return e.code(secret) }},
		{"user.mfa.temp_token_used", func() string {
			var tok sdkToken
			mfaStrict(t, e.call(http.MethodPost, uid, "/mfa_token", map[string]any{"reusable": false}), http.StatusCreated, &tok)
			return tok.MFAToken
		}},
	}
	for _, c := range verifies {
		e.clock.Advance(30 * time.Second)
		otp := c.otp()
		before := e.srv.EventTypes(t, userSubject)
		v := e.verification(uid, device)
		if out := e.verify(uid, v.ID, otp); out.Status != "accepted" {
			t.Fatalf("%s: verify = %+v", c.use, out)
		}
		after := e.srv.EventTypes(t, userSubject)
		if apitest.Count(after, c.use)-apitest.Count(before, c.use) != 1 || len(after) != len(before)+1 {
			t.Errorf("%s: the verify wrote %v on the user", c.use, after[len(before):])
		}
		if got := e.srv.EventTypes(t, eventstore.MustSubject(mfaapi.VerificationAggregate, v.ID)); apitest.Count(got, "mfa.verification.accepted") != 1 || len(got) != 2 {
			t.Errorf("%s: the verification holds %v", c.use, got)
		}
		// Replayed on a new verification: refused, nothing more on the user.
		if out := e.verify(uid, e.verification(uid, device).ID, otp); out.Status != "pending" {
			t.Errorf("%s: replay = %+v", c.use, out)
		}
		if again := e.srv.EventTypes(t, userSubject); len(again) != len(after) {
			t.Errorf("%s: the replay wrote %v on the user", c.use, again[len(after):])
		}
	}

	// Two code sends: a registration's and a verification's.
	reg := e.register(uid, mfaSMSID, nil)
	e.confirm(uid, reg.ID, e.sms.wait(t, 1)["code"])
	e.clock.Advance(30 * time.Second)
	v := e.verification(uid, reg.DeviceID)
	if out := e.verify(uid, v.ID, e.sms.wait(t, 2)["code"]); out.Status != "accepted" {
		t.Fatalf("SMS verify = %+v", out)
	}
	e.srv.WaitEvent(t, "mfa.code.sent", 2)
	for _, typ := range []string{"mfa.send.counted", "delivery.requested", "mfa.code.requested", "mfa.code.sent"} {
		if n := len(e.events(typ)); n != 2 {
			t.Errorf("%d %s events, want 2 (one per send)", n, typ)
		}
	}
	if n := e.sms.count(); n != 2 {
		t.Errorf("%d SMS sent, want 2", n)
	}
}
