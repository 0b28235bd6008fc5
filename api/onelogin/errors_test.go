package onelogin_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authtrail/authtrail/domain"

	"github.com/authtrail/authtrail/api/onelogin"
)

func TestWriteErrorCanonicalBodies(t *testing.T) {
	cases := []struct {
		err    error
		status int
		body   string
	}{
		{domain.E("onelogin.invalid_credentials"), 401, authInvalidCredentials},
		{domain.E("onelogin.insufficient_permission"), 401, authInsufficient},
		{domain.E("onelogin.user_not_found"), 404, `{"statusCode":404,"name":"NotFoundError","message":"The resource with the given id could not be found"}`},
		{domain.E("onelogin.resource_not_found"), 404, `{"statusCode":404,"name":"NotFound","message":"The resource can't be found or the server has not found anything matching the Request-URI"}`},
		{domain.E("onelogin.bad_request"), 400, `{"statusCode":400,"name":"BadRequestError","message":"The request could not be understood by the server due to malformed syntax"}`},
		{onelogin.ValidationFailed("expires_in"), 422, `{"statusCode":422,"name":"ValidationError","message":"Validations failed","details":{"parameters":["expires_in"]}}`},
		{onelogin.ValidationFailed(), 422, `{"statusCode":422,"name":"ValidationError","message":"Validations failed","details":{"parameters":[]}}`},
		{domain.E("onelogin.validation_failed"), 422,
			`{"statusCode":422,"name":"ValidationError","message":"Validations failed","details":{"parameters":[]}}`},
		{domain.E("onelogin.forbidden_action"), 403, `{"statusCode":403,"name":"ForbiddenAction","message":"You are not authorised to perform this action or access the resource"}`},
		{domain.E("onelogin.too_many_requests"), 429, `{"statusCode":429,"name":"TooManyRequests","message":"Rate limit exceeded"}`},
		{fmt.Errorf("load: %w", domain.E("onelogin.forbidden_action")), 403, `{"statusCode":403,"name":"ForbiddenAction","message":"You are not authorised to perform this action or access the resource"}`},
		{errors.New("nats: connection closed"), 500, `{"statusCode":500,"name":"InternalServerError","message":"Internal Server Error"}`},
		{domain.E("onelogin.resource_not_found").WithMessage("gone"), 404, `{"statusCode":404,"name":"NotFound","message":"gone"}`},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		onelogin.WriteError(rec, c.err)
		authExpect(t, authResponse{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}, c.status, c.body)
		for k, want := range map[string]string{
			"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-cache, must-revalidate, no-store",
			"X-Content-Type-Options": "nosniff",
		} {
			if got := rec.Header().Get(k); got != want {
				t.Errorf("%v: %s %q, want %q", c.err, k, got, want)
			}
		}
	}
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", domain.E("onelogin.user_not_found"))
	if !errors.Is(err, domain.E("onelogin.user_not_found")) || errors.Is(err, domain.E("onelogin.resource_not_found")) {
		t.Fatal("errors.Is should match on the name")
	}
}

func TestWriteStatusEnvelope(t *testing.T) {
	rec := httptest.NewRecorder()
	onelogin.WriteStatusEnvelope(rec, domain.E("onelogin.token.authentication_failure"))
	authExpect(t, authResponse{status: rec.Code, body: rec.Body.Bytes()}, 401, authFailureEnvelope)
	rec = httptest.NewRecorder()
	onelogin.WriteJSON(rec, http.StatusOK, onelogin.StatusSuccess())
	authExpect(t, authResponse{status: rec.Code, body: rec.Body.Bytes()}, 200, authRevokeSuccess)
}
