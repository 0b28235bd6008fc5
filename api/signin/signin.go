// Package signin is the built-in sign-in page (docs/oidc.md, Sign-in
// page): plain HTML, CSS and a little JavaScript embedded in the binary,
// no build step and no external assets. The page drives the Experience
// API like any Logto sign-in page: identifier and password or a
// verification code, a social provider or the company's SSO, then the MFA
// the sign-in experience asks for (TOTP, a backup code, WebAuthn),
// registration with a password; the submit's redirectTo takes the browser
// back to the OpenID Connect provider.
package signin

import (
	"embed"
	"encoding/json"
	"io/fs"
	"net/http"

	"github.com/gorilla/mux"
)

// Path is the page's address, the default oidc.signInUrl.
const Path = "/sign-in"

//go:embed page
var page embed.FS

// Page serves the sign-in page, its two assets and what it offers.
type Page struct {
	files  fs.FS
	offers []byte
}

// Options are what the page offers besides passwords and codes.
type Options struct {
	// Social are the social connectors of its buttons, in order
	// (signInExperience.socialSignInConnectorTargets).
	Social []Social
	// SSO: an email of an SSO connector's domain signs in there
	// (signInExperience.singleSignOnEnabled).
	SSO bool
}

// Social is a social sign-in button.
type Social struct {
	ID     string `json:"id"`
	Target string `json:"target"`
}

// New is the page.
func New(o Options) *Page {
	files, _ := fs.Sub(page, "page")
	if o.Social == nil {
		o.Social = []Social{}
	}
	offers, _ := json.Marshal(map[string]any{"social": o.Social, "sso": o.SSO})
	return &Page{files: files, offers: offers}
}

// Register mounts the page.
func (p *Page) Register(r *mux.Router) {
	r.HandleFunc(Path, p.serve("index.html", "text/html; charset=utf-8")).Methods(http.MethodGet)
	r.HandleFunc(Path+"/app.js", p.serve("app.js", "text/javascript; charset=utf-8")).Methods(http.MethodGet)
	r.HandleFunc(Path+"/style.css", p.serve("style.css", "text/css; charset=utf-8")).Methods(http.MethodGet)
	r.HandleFunc(Path+"/offers.json", p.serveBytes(p.offers, "application/json")).Methods(http.MethodGet)
}

// csp allows the page its own script and style only, no framing, and
// sending forms nowhere: the page talks to the API with fetch.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

func (p *Page) serve(name, contentType string) http.HandlerFunc {
	body, err := fs.ReadFile(p.files, name)
	if err != nil {
		panic("signin: " + name + " is not embedded")
	}
	return p.serveBytes(body, contentType)
}

func (p *Page) serveBytes(body []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-cache")
		_, _ = w.Write(body)
	}
}
