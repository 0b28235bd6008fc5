package onelogin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
	"github.com/authtrail/authtrail/eventstore"
)

// maxTokenBody bounds token and revoke request bodies.
const maxTokenBody = 16 << 10

// tokenResponse is the 200 body of the token endpoint, typed as the Python
// SDK's OauthToken model (StrictStr / StrictInt fields).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	CreatedAt    string `json:"created_at"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	AccountID    int    `json:"account_id"`
}

// createdAtLayout is OneLogin's "2015-11-11T03:36:18.714Z".
const createdAtLayout = "2006-01-02T15:04:05.000Z"

// tokenCall is a token or revoke request: the authenticated client (nil
// when its credentials do not match) and the body.
type tokenCall struct {
	cred *credential
	body tokenBody
	// client is the caller's limit key for failed requests; "" when the
	// limit is off or the request was refused by it.
	client string
}

// Actor is the client's aggregate, the actor of its token events.
func (c tokenCall) Actor() string {
	if c.cred == nil {
		return ""
	}
	return AggregateType + ":" + c.cred.hash
}

func (a *Auth) parseTokenCall(r *http.Request) (tokenCall, error) {
	var call tokenCall
	if err := a.checkFailedTokens(r, &call); err != nil {
		return call, err // before the body: a refused caller costs no secret comparison
	}
	body := readBody(r)
	call.cred, call.body = a.clientOf(r, body), body
	if call.cred == nil {
		return call, domain.E("onelogin.token.authentication_failure")
	}
	return call, nil
}

// checkFailedTokens refuses a caller whose failed token requests used up
// limits.tokenRequestsPerIp (429 with Retry-After), and otherwise names the
// bucket a failure of this request spends from.
func (a *Auth) checkFailedTokens(r *http.Request, call *tokenCall) error {
	if !a.failedTokens.Enabled() {
		return nil
	}
	key := throttle.ClientKey("tokenfail", httpx.ClientIP(r, a.trustedProxies))
	d, err := a.limiter.Peek(r.Context(), key, a.failedTokens)
	if err != nil {
		a.log.WarnContext(r.Context(), "onelogin: token request limit not applied", "err", err)
		return nil
	}
	if !d.Allowed {
		return d.Refusal(domain.E("onelogin.token.too_many_requests"))
	}
	call.client = key
	return nil
}

// countFailure spends one failed request of the caller's bucket once the
// refusal of call has committed.
func (a *Auth) countFailure(ctx context.Context, call tokenCall) {
	if call.client == "" {
		return
	}
	command.OnRefusal(ctx, func(ctx context.Context) {
		if _, err := a.limiter.Take(ctx, call.client, a.failedTokens); err != nil {
			a.log.WarnContext(ctx, "onelogin: failed token request not counted", "err", err)
		}
	})
}

// commandAPI answers the token endpoints: events carry the client's
// aggregate as actor and the request id, errors the status envelope.
func (a *Auth) commandAPI() *command.API {
	return &command.API{
		Store: a.store,
		Meta: func(r *http.Request) eventstore.Metadata {
			return eventstore.Metadata{Time: a.clock.Now().UTC(), Actor: AggregateType, CorrelationID: r.Header.Get("X-Request-Id")}
		},
		Reply: writeReply,
		Error: func(w http.ResponseWriter, r *http.Request, err error) {
			e, refused := domain.AsError(err)
			domain.SetRetryAfter(w.Header(), err)
			if !refused {
				a.log.ErrorContext(r.Context(), "onelogin: token request failed", "path", r.URL.Path, "err", err)
				e = domain.E("onelogin.token.internal")
			}
			WriteStatusEnvelope(w, e)
		},
	}
}

// serveToken is POST /auth/oauth2/v2/token (docs/onelogin-api.md, Tokens).
func (a *Auth) serveToken(ctx context.Context, tx *eventstore.Tx, call tokenCall, inErr error) (command.Reply, error) {
	a.countFailure(ctx, call)
	if inErr != nil {
		return command.Reply{}, inErr
	}
	if call.body.get("grant_type") != "client_credentials" {
		return command.Reply{}, domain.E("onelogin.token.grant_type")
	}
	out, err := a.issueToken(ctx, tx, call.cred)
	if err != nil {
		return command.Reply{}, err
	}
	return command.Reply{Status: http.StatusOK, Body: tokenResponse{
		AccessToken:  out.token,
		CreatedAt:    out.ev.IssuedAt.UTC().Format(createdAtLayout),
		ExpiresIn:    remainingSeconds(a.clock.Now(), out.ev.ExpiresAt),
		RefreshToken: "deprecated",
		TokenType:    "bearer",
		AccountID:    a.account,
	}}, nil
}

// remainingSeconds is the token's remaining lifetime, rounded up so a live
// token never reports 0: 36000 for a new token, less for a returned one.
func remainingSeconds(now, expires time.Time) int {
	return int((expires.Sub(now) + time.Second - 1) / time.Second)
}

// serveRevoke is POST /auth/oauth2/revoke: 200 whether or not anything was
// revoked (RFC 7009), so a caller learns nothing about foreign tokens.
func (a *Auth) serveRevoke(ctx context.Context, tx *eventstore.Tx, call tokenCall, inErr error) (command.Reply, error) {
	a.countFailure(ctx, call)
	if inErr != nil {
		return command.Reply{}, inErr
	}
	token := call.body.get("access_token")
	if token == "" {
		return command.Reply{}, domain.E("onelogin.token.no_access_token")
	}
	if err := a.revokeToken(ctx, tx, call.cred, token); err != nil {
		return command.Reply{}, err
	}
	return command.Reply{Status: http.StatusOK, Body: StatusSuccess()}, nil
}

// tokenBody holds the string fields of a JSON or form body. Fields of
// another JSON type count as absent.
type tokenBody map[string]string

func (b tokenBody) get(key string) string { return b[key] }

// readBody parses a form body when the request says so, JSON otherwise; a
// body that is not a JSON object is tried as a form, then taken as empty.
func readBody(r *http.Request) tokenBody {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxTokenBody))
	if err != nil {
		return tokenBody{}
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != "application/x-www-form-urlencoded" {
		var raw map[string]any
		if json.Unmarshal(data, &raw) == nil {
			out := tokenBody{}
			for k, v := range raw {
				if s, ok := v.(string); ok {
					out[k] = s
				}
			}
			return out
		}
	}
	values, err := url.ParseQuery(string(data))
	if err != nil {
		return tokenBody{}
	}
	out := tokenBody{}
	for k := range values {
		out[k] = values.Get(k)
	}
	return out
}

// The docs' curl form: Authorization: client_id:<id>, client_secret:<secret>.
var clientPairHeader = regexp.MustCompile(`(?is)^\s*client_id\s*:\s*(.*?)\s*,\s*client_secret\s*:\s*(.*?)\s*$`)

// clientOf authenticates the calling client from the Authorization header
// (the curl pair form or HTTP Basic) or, without that header, from the
// body's client_id and client_secret. nil: not authenticated.
func (a *Auth) clientOf(r *http.Request, body tokenBody) *credential {
	header := r.Header.Get("Authorization")
	if header == "" {
		id, secret := body.get("client_id"), body.get("client_secret")
		if id == "" {
			return nil
		}
		return a.authenticate(id, secret)
	}
	if m := clientPairHeader.FindStringSubmatch(header); m != nil {
		return a.authenticate(m[1], m[2])
	}
	scheme, encoded, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return nil
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return nil
	}
	id, secret, ok := strings.Cut(string(decoded), ":")
	if !ok {
		return nil
	}
	return a.authenticate(id, secret)
}
