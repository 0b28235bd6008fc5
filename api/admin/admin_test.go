package admin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
)

const goodPassword = apitest.ScriptPassword

var clients = []onelogin.Client{
	{ID: "auditor", Secret: "auditor-secret", Scope: onelogin.ScopeReadAll},
	{ID: "admin", Secret: "admin-secret", Scope: onelogin.ScopeManageAll},
	{ID: "users", Secret: "users-secret", Scope: onelogin.ScopeManageUsers},
}

// env is a server with the admin API's clients and the scripted user alice.
type env struct {
	t      *testing.T
	srv    *apitest.Server
	smtp   *apitest.SMTPServer
	alice  apitest.MFAUser
	tokens map[string]string
}

func newEnv(t *testing.T) *env {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: apitest.ScriptSettings(), APIClients: clients, SMTP: smtp})
	return &env{t: t, srv: srv, smtp: smtp, tokens: map[string]string{}, alice: apitest.RegisterMFAUser(t, srv)}
}

// do calls the Experience API and requires status.
func (e *env) do(c *apitest.Client, method, path string, body any, status int) map[string]any {
	e.t.Helper()
	return c.Expect(method, path, body, status)
}

func (e *env) signInWithWrongPasswordFirst() string {
	return apitest.SignInWithWrongPasswordFirst(e.t, e.srv, e.alice)
}

func (e *env) token(client string) string {
	if tok, ok := e.tokens[client]; ok {
		return tok
	}
	e.tokens[client] = e.srv.Token(e.t, client, client+"-secret")
	return e.tokens[client]
}

// answer is an admin API response.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("body %s: %v", a.body, err)
	}
}

// admin calls the admin API as client ("" for no token).
func (e *env) admin(client, method, path string) answer {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+"/api/admin"+path, nil)
	if client != "" {
		req.Header.Set("Authorization", "Bearer "+e.token(client))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// get requires 200 and decodes the answer.
func (e *env) get(path string, v any) answer {
	e.t.Helper()
	a := e.admin("auditor", http.MethodGet, path)
	if a.status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, a.status, a.body)
	}
	if _, err := strconv.ParseUint(a.header.Get(admin.ProjectionSeqHeader), 10, 64); err != nil {
		e.t.Fatalf("GET %s: %s = %q", path, admin.ProjectionSeqHeader, a.header.Get(admin.ProjectionSeqHeader))
	}
	if a.header.Get("Cache-Control") == "" || !strings.Contains(a.header.Get("Cache-Control"), "no-store") {
		e.t.Fatalf("GET %s: Cache-Control %q", path, a.header.Get("Cache-Control"))
	}
	a.json(e.t, v)
	return a
}

type summary struct {
	ID               string            `json:"id"`
	InteractionEvent string            `json:"interactionEvent"`
	Status           string            `json:"status"`
	UserID           *string           `json:"userId"`
	EndedAt          *string           `json:"endedAt"`
	IP               string            `json:"ip"`
	UserAgent        string            `json:"userAgent"`
	Identifier       map[string]string `json:"identifier"`
	Verifications    []string          `json:"verifications"`
	Failures         []struct {
		Seq  uint64 `json:"seq"`
		Code string `json:"code"`
	} `json:"failures"`
	EventCount int    `json:"eventCount"`
	LastSeq    uint64 `json:"lastSeq"`
}

type event struct {
	Seq     uint64         `json:"seq"`
	Type    string         `json:"type"`
	Summary string         `json:"summary"`
	Data    map[string]any `json:"data"`
}

func TestAnInteractionAsTheAuditSeesIt(t *testing.T) {
	e := newEnv(t)
	id := e.signInWithWrongPasswordFirst()
	e.waitProjected()

	var s summary
	e.get("/interactions/"+id, &s)
	if s.ID != id || s.InteractionEvent != "SignIn" || s.Status != "submitted" || s.UserID == nil || *s.UserID != "1" ||
		s.EndedAt == nil || s.IP != "127.0.0.1" || !strings.HasPrefix(s.UserAgent, "Go-http-client") ||
		s.Identifier["type"] != "username" || s.Identifier["value"] != "alice" ||
		!slices.Equal(s.Verifications, []string{"Password", "Totp"}) || s.EventCount != 6 ||
		len(s.Failures) != 2 || s.Failures[0].Code != "session.invalid_credentials" ||
		s.Failures[1].Code != "session.mfa.require_mfa_verification" {
		t.Fatalf("summary %+v", s)
	}
	var page struct {
		Items      []event `json:"items"`
		NextCursor *string `json:"nextCursor"`
	}
	e.get("/interactions/"+id+"/events", &page)
	types := []string{}
	for _, ev := range page.Items {
		types = append(types, ev.Type)
	}
	want := []string{"interaction.started", "interaction.password.failed", "interaction.password.verified", "interaction.identified",
		"interaction.request.failed", "interaction.submitted"}
	if !slices.Equal(types, want) || page.NextCursor != nil || page.Items[5].Seq != s.LastSeq {
		t.Fatalf("events %v (next %v), want %v", types, page.NextCursor, want)
	}
	if !strings.Contains(page.Items[1].Summary, "refused: session.invalid_credentials") ||
		!strings.Contains(page.Items[1].Summary, "username alice") {
		t.Fatalf("summary line of the failed password: %q", page.Items[1].Summary)
	}

	// The TOTP verification is recorded on the user alone; the submit
	// names it, and the interaction's log reads it as a record from there.
	if !strings.HasSuffix(page.Items[5].Summary, "verified on the user: Totp") {
		t.Errorf("summary line of the submit: %q", page.Items[5].Summary)
	}

	// Time travel: the state at each event, against a fold by hand.
	type hand struct {
		userID    string
		records   []string // verified record types
		submitted bool
	}
	byHand := []hand{{}, {}, {"", []string{"Password"}, false}, {"1", []string{"Password"}, false},
		{"1", []string{"Password"}, false}, {"1", []string{"Password", "Totp"}, true}}
	for i, ev := range page.Items {
		var d struct {
			At    uint64 `json:"at"`
			State struct {
				Started          bool    `json:"started"`
				InteractionEvent string  `json:"interactionEvent"`
				UserID           *string `json:"userId"`
				Submitted        bool    `json:"submitted"`
				Records          []struct {
					Type     string `json:"type"`
					Verified bool   `json:"verified"`
				} `json:"verificationRecords"`
			} `json:"state"`
		}
		e.get(fmt.Sprintf("/interactions/%s?at=%d", id, ev.Seq), &d)
		got := hand{submitted: d.State.Submitted}
		if d.State.UserID != nil {
			got.userID = *d.State.UserID
		}
		for _, r := range d.State.Records {
			if r.Verified {
				got.records = append(got.records, r.Type)
			}
		}
		if d.At != ev.Seq || !d.State.Started || d.State.InteractionEvent != "SignIn" || got.userID != byHand[i].userID ||
			!slices.Equal(got.records, byHand[i].records) || got.submitted != byHand[i].submitted {
			t.Errorf("at %d (%s): %+v, by hand %+v", ev.Seq, ev.Type, got, byHand[i])
		}
	}

	var user struct {
		Items []event `json:"items"`
	}
	e.get("/users/1/events", &user)
	if len(user.Items) < 4 || user.Items[0].Type != "user.registered" {
		t.Fatalf("user events %+v", user.Items)
	}
}

// waitProjected waits for the interactions read model to reach the log's
// end, so lists can be compared exactly.
func (e *env) waitProjected() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.API().ReadModels.WaitCurrent(ctx); err != nil {
		e.t.Fatal(err)
	}
}

func TestListFiltersAndPagination(t *testing.T) {
	e := newEnv(t)
	failed := e.signInWithWrongPasswordFirst()
	e.srv.Clock.Advance(30 * time.Second)
	c := e.srv.Client(t)
	e.do(c, http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	open := c.InteractionID()
	e.srv.Clock.Advance(2 * time.Hour) // the open one expires
	e.waitProjected()

	ids := func(query string) []string {
		var page struct {
			Items []summary `json:"items"`
		}
		e.get("/interactions?"+query, &page)
		out := []string{}
		for _, s := range page.Items {
			out = append(out, s.ID)
		}
		return out
	}
	if got := ids("status=expired"); !slices.Equal(got, []string{open}) {
		t.Fatalf("expired: %v, want %v", got, []string{open})
	}
	if got := ids("failed=true&userId=1&interactionEvent=SignIn"); !slices.Equal(got, []string{failed}) {
		t.Fatalf("failed sign-ins of user 1: %v", got)
	}
	if got := ids("failed=false"); !slices.Equal(got, []string{open}) {
		t.Fatalf("without failures: %v, want the open one", got)
	}
	if got := ids("identifier=alice&interactionEvent=SignIn"); !slices.Equal(got, []string{failed}) {
		t.Fatalf("by identifier: %v", got)
	}
	all := ids("limit=500")
	if len(all) != 3 || all[0] != open || all[1] != failed {
		t.Fatalf("all, newest first: %v", all)
	}
	var first struct {
		Items      []summary `json:"items"`
		NextCursor *string   `json:"nextCursor"`
	}
	e.get("/interactions?limit=2", &first)
	if len(first.Items) != 2 || first.NextCursor == nil {
		t.Fatalf("first page %+v", first)
	}
	if rest := ids("limit=2&cursor=" + url.QueryEscape(*first.NextCursor)); len(rest) != 1 || rest[0] != all[2] {
		t.Fatalf("second page %v, want [%s]", rest, all[2])
	}
}

func TestBadRequestsAndAccess(t *testing.T) {
	e := newEnv(t)
	id := e.signInWithWrongPasswordFirst()
	for _, tc := range []struct {
		client, method, path string
		status               int
		name, mention        string
	}{
		{"", "GET", "/interactions", 401, "Unauthorized", ""},
		{"users", "GET", "/interactions", 403, "Forbidden", ""},
		{"auditor", "POST", "/projections/interactions/rebuild", 403, "Forbidden", ""},
		{"auditor", "GET", "/interactions?limit=0", 400, "BadRequest", "limit"},
		{"auditor", "GET", "/interactions?limit=501", 400, "BadRequest", "limit"},
		{"auditor", "GET", "/interactions?limit=ten", 400, "BadRequest", "limit"},
		{"auditor", "GET", "/interactions?cursor=%21%21", 400, "BadRequest", "cursor"},
		{"auditor", "GET", "/interactions?cursor=" + base64.RawURLEncoding.EncodeToString([]byte("x")), 400, "BadRequest", "cursor"},
		{"auditor", "GET", "/interactions?status=done", 400, "BadRequest", "status"},
		{"auditor", "GET", "/interactions?interactionEvent=Login", 400, "BadRequest", "interactionEvent"},
		{"auditor", "GET", "/interactions?failed=yes", 400, "BadRequest", "failed"},
		{"auditor", "GET", "/interactions?from=yesterday", 400, "BadRequest", "from"},
		{"auditor", "GET", "/interactions?colour=red", 400, "BadRequest", "colour"},
		{"auditor", "GET", "/interactions/" + id + "?at=0", 400, "BadRequest", "at"},
		{"auditor", "GET", "/interactions/" + id + "?at=-3", 400, "BadRequest", "at"},
		{"auditor", "GET", "/interactions/" + id + "/events?cursor=zz", 400, "BadRequest", "cursor"},
		{"auditor", "GET", "/interactions/NOPE", 404, "NotFound", ""},
		{"auditor", "GET", "/interactions/nope.x/events", 404, "NotFound", ""},
		{"auditor", "GET", "/users/999/events", 404, "NotFound", ""},
		{"admin", "POST", "/projections/sessions/rebuild", 404, "NotFound", ""},
	} {
		a := e.admin(tc.client, tc.method, tc.path)
		var body struct {
			StatusCode int    `json:"statusCode"`
			Name       string `json:"name"`
			Message    string `json:"message"`
		}
		a.json(t, &body)
		if a.status != tc.status || body.StatusCode != tc.status || body.Name != tc.name || !strings.Contains(body.Message, tc.mention) {
			t.Errorf("%s %s as %q: %d %s, want %d %s naming %q", tc.method, tc.path, tc.client, a.status, a.body, tc.status, tc.name, tc.mention)
		}
	}
}

func TestProjectionsStatusAndRebuild(t *testing.T) {
	e := newEnv(t)
	e.signInWithWrongPasswordFirst()
	e.token("auditor") // issuing the tokens writes events too
	e.token("admin")
	e.waitProjected()
	var before []map[string]any
	e.get("/projections", &before)
	if len(before) != 3 || before[0]["name"] != "devices" || before[1]["name"] != "interactions" || before[2]["name"] != "webhooks" ||
		before[1]["status"] != "running" || before[1]["lag"] != 0.0 || before[1]["version"] != 1.0 {
		t.Fatalf("projections %v", before)
	}
	var list struct {
		Items json.RawMessage `json:"items"`
	}
	e.get("/interactions", &list)

	a := e.admin("admin", http.MethodPost, "/projections/interactions/rebuild")
	if a.status != http.StatusAccepted || !strings.Contains(string(a.body), `"version":2`) {
		t.Fatalf("rebuild: %d %s", a.status, a.body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var st []map[string]any
		e.get("/projections", &st)
		if st[1]["version"] == 2.0 && st[1]["status"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rebuild did not finish: %v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var after struct {
		Items json.RawMessage `json:"items"`
	}
	e.get("/interactions", &after)
	if string(after.Items) != string(list.Items) {
		t.Fatalf("after the rebuild:\n%s\nbefore:\n%s", after.Items, list.Items)
	}
}

// No admin answer shows a secret used in the interactions it describes.
func TestNoAnswerShowsASecret(t *testing.T) {
	e := newEnv(t)
	id := e.signInWithWrongPasswordFirst()
	c := e.srv.Client(t)
	e.do(c, http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	alice := map[string]string{"type": "username", "value": "alice"}
	vid := e.do(c, http.MethodPost, "/verification/password", map[string]any{"identifier": alice, "password": goodPassword}, http.StatusOK)["verificationId"]
	e.do(c, http.MethodPost, "/identification", map[string]any{"verificationId": vid}, http.StatusNoContent)
	e.do(c, http.MethodPost, "/verification/backup-code/verify", map[string]any{"code": e.alice.BackupCodes[0]}, http.StatusOK)
	e.do(c, http.MethodPost, "/submit", nil, http.StatusOK)
	backupID := c.InteractionID()

	c = e.srv.Client(t)
	e.do(c, http.MethodPut, "", map[string]any{"interactionEvent": "SignIn"}, http.StatusNoContent)
	email := map[string]string{"type": "email", "value": "carol@example.com"}
	sent := e.do(c, http.MethodPost, "/verification/verification-code", map[string]any{"identifier": email, "interactionEvent": "SignIn"}, http.StatusOK)
	mail := e.smtp.WaitMail(t, 1)[0]
	e.do(c, http.MethodPost, "/verification/verification-code/verify",
		map[string]any{"identifier": email, "verificationId": sent["verificationId"], "code": mail.Code()}, http.StatusOK)
	codeID := c.InteractionID()
	e.waitProjected()

	secrets := append([]string{goodPassword, "Wr0ng!pass", e.alice.TotpSecret, mail.Code(), "$argon2id"}, e.alice.BackupCodes...)
	paths := []string{"/interactions?limit=500", "/projections", "/users/1/events?limit=500"}
	for _, iid := range []string{id, backupID, codeID} {
		paths = append(paths, "/interactions/"+iid, "/interactions/"+iid+"/events?limit=500")
		var page struct {
			Items []event `json:"items"`
		}
		e.get("/interactions/"+iid+"/events?limit=500", &page)
		for _, ev := range page.Items {
			paths = append(paths, fmt.Sprintf("/interactions/%s?at=%d", iid, ev.Seq))
		}
	}
	for _, p := range paths {
		a := e.admin("auditor", http.MethodGet, p)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, a.status, a.body)
		}
		for _, s := range secrets {
			if strings.Contains(string(a.body), s) {
				t.Errorf("GET %s shows the secret %q: %s", p, s, a.body)
			}
		}
	}
	if len(paths) < 20 {
		t.Fatalf("only %d answers scanned", len(paths))
	}
}
