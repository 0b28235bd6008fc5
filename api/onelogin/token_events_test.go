package onelogin_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain"
	"github.com/nats-io/nats.go/jetstream"
)

// The event log holds token ids and hashes, never a token: not in any
// payload or header of any stored message.
func TestTokenEventsHoldNoTokenInClear(t *testing.T) {
	env := newAuthEnv(t, onelogin.AuthOptions{})
	first := *env.token("admin", "admin-secret").AccessToken
	authExpect(t, env.revoke("admin", "admin-secret", first), 200, authRevokeSuccess)
	second := *env.token("admin", "admin-secret").AccessToken

	envs := env.authEvents("admin")
	if got := authTypes(envs); got != "apiclient.token.issued,apiclient.token.revoked,apiclient.token.issued" {
		t.Fatalf("events %s", got)
	}
	var issued onelogin.TokenIssued
	if err := json.Unmarshal(envs[0].Data, &issued); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(first))
	if issued.TokenHash != hex.EncodeToString(sum[:]) || issued.TokenID == "" || issued.Scope != "manage_all" ||
		!issued.IssuedAt.Equal(authStart) || !issued.ExpiresAt.Equal(authStart.Add(10*time.Hour)) {
		t.Fatalf("issued event %s", envs[0].Data)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := env.store.JetStream().Stream(ctx, env.store.Stream())
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 {
		t.Fatalf("stream holds %d messages, want 3", info.State.Msgs)
	}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		scanForTokens(t, msg, first, second)
	}
}

func scanForTokens(t *testing.T, msg *jetstream.RawStreamMsg, tokens ...string) {
	t.Helper()
	var all strings.Builder
	all.Write(msg.Data)
	all.WriteString(msg.Subject)
	for k, vs := range msg.Header {
		all.WriteString(k + strings.Join(vs, ""))
	}
	for _, tok := range tokens {
		_, mac, _ := strings.Cut(tok, ".")
		if strings.Contains(all.String(), tok) || strings.Contains(all.String(), mac) {
			t.Fatalf("message %d on %s holds a token in clear: %s", msg.Sequence, msg.Subject, msg.Data)
		}
	}
}

func TestFoldTokens(t *testing.T) {
	now := authStart
	a := &onelogin.TokenIssued{TokenID: "a", TokenHash: "ha", Scope: "manage_all", IssuedAt: now, ExpiresAt: now.Add(10 * time.Hour)}
	b := &onelogin.TokenIssued{TokenID: "b", TokenHash: "hb", Scope: "manage_all", IssuedAt: now, ExpiresAt: now.Add(10 * time.Hour)}
	cases := []struct {
		name   string
		events []domain.Event
		at     time.Time
		scope  string
		want   string // TokenID of the valid token, "" for none
	}{
		{"nothing issued", nil, now, "manage_all", ""},
		{"issued", []domain.Event{a}, now, "manage_all", "a"},
		{"last issue wins", []domain.Event{a, &onelogin.TokenRevoked{TokenHash: "ha"}, b}, now, "manage_all", "b"},
		{"revoked", []domain.Event{a, &onelogin.TokenRevoked{TokenHash: "ha"}}, now, "manage_all", ""},
		{"revoke of another token", []domain.Event{a, &onelogin.TokenRevoked{TokenHash: "hx"}}, now, "manage_all", "a"},
		{"expired", []domain.Event{a}, now.Add(10 * time.Hour), "manage_all", ""},
		{"scope changed", []domain.Event{a}, now, "read_users", ""},
	}
	for _, c := range cases {
		cur, ok := onelogin.FoldTokens(c.events).Valid(c.at, c.scope)
		switch {
		case c.want == "" && ok:
			t.Errorf("%s: got %s, want none", c.name, cur.TokenID)
		case c.want != "" && (!ok || cur.TokenID != c.want):
			t.Errorf("%s: got %v %v, want %s", c.name, cur, ok, c.want)
		}
	}
	// Every event type round-trips through the registry.
	for _, ev := range []domain.Event{a, &onelogin.TokenRevoked{TokenHash: "ha", At: now}} {
		data, _ := json.Marshal(ev)
		back, err := onelogin.TokenEvents.Decode(ev.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := json.Marshal(back); string(again) != string(data) {
			t.Errorf("%s: %s decoded as %s", ev.EventType(), data, again)
		}
	}
}
