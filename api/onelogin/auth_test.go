package onelogin_test

import (
	"net/http"
	"testing"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
)

func TestClientValidate(t *testing.T) {
	for _, c := range []onelogin.Client{
		{ID: "", Secret: "s", Scope: "manage_all"},
		{ID: "a", Secret: "", Scope: "manage_all"},
		{ID: "a", Secret: "s", Scope: "Manage All"},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
	for _, s := range []string{"authentication_only", "read_users", "manage_users", "read_all", "manage_all"} {
		if err := (onelogin.Client{ID: "a", Secret: "s", Scope: s}).Validate(); err != nil {
			t.Errorf("scope %s: %v", s, err)
		}
	}
}

func TestNewAuthLeavesOutInvalidClients(t *testing.T) {
	env := newAuthEnvOn(t, apitest.NewStore(t), apitest.NewClock(authStart), []onelogin.Client{
		{ID: "bad", Secret: "s", Scope: "everything"},
		{ID: "good", Secret: "s", Scope: onelogin.ScopeManageAll},
		{ID: "good", Secret: "other", Scope: onelogin.ScopeManageAll},
	}, onelogin.AuthOptions{})
	authExpect(t, env.post(onelogin.TokenPath, authBasic("bad", "s"), authGrantJSON), http.StatusUnauthorized, authFailureEnvelope)
	authExpect(t, env.post(onelogin.TokenPath, authBasic("good", "other"), authGrantJSON), http.StatusUnauthorized, authFailureEnvelope)
	env.token("good", "s")
}

func TestNewAuthRefusesAShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a 16-byte key was accepted")
		}
	}()
	onelogin.NewAuth(nil, nil, make([]byte, 16), onelogin.AuthOptions{})
}
