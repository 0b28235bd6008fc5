package experience

import (
	"mime"
	"net/http"
	"slices"

	"github.com/authtrail/authtrail/api/httpx"
	"github.com/authtrail/authtrail/domain"
)

// browserGuard protects the cookie-bound API from other sites' pages
// (docs/experience.md, Browsers). Every answer gets headers that keep it
// out of caches, frames and referrers. A request that changes state is
// refused before it reaches the interaction (so it makes no attempt and
// writes nothing) when its Origin is not an allowed one, when it has no
// Origin but the browser says it is cross-site, or when it carries a body
// that is not JSON: a form or text/plain POST is what another site's page
// can send with the user's cookie without asking. Clients that send no
// Origin (SDKs, curl) are not browsers and pass.
func (h *Handler) browserGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if changesState(r.Method) {
			if err := h.checkBrowserRequest(r); err != nil {
				h.log.WarnContext(r.Context(), "experience: request refused before the interaction", "origin", r.Header.Get("Origin"),
					"fetch_site", r.Header.Get("Sec-Fetch-Site"), "code", err.Code)
				httpx.Error(w, r, h.log, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (h *Handler) checkBrowserRequest(r *http.Request) *domain.Error {
	switch origin := r.Header.Get("Origin"); {
	case origin != "":
		if !slices.Contains(h.cfg.AllowedOrigins, origin) {
			return domain.E("request.cross_site")
		}
	case r.Header.Get("Sec-Fetch-Site") == "cross-site":
		return domain.E("request.cross_site")
	}
	if hasBody(r) {
		if media, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || media != "application/json" {
			return httpx.Invalid("body", "the body must be application/json")
		}
	}
	return nil
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || r.ContentLength < 0 && len(r.TransferEncoding) > 0
}
