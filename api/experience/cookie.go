package experience

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/authtrail/authtrail/domain"
)

// CookieName is the interaction cookie (spec §6, decision 4).
const CookieName = "_interaction"

func (h *Handler) sign(id string) string {
	mac := hmac.New(sha256.New, h.cfg.CookieKey)
	mac.Write([]byte(CookieName + "=" + id))
	return id + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// interactionID returns the id in a validly signed cookie, or "".
func (h *Handler) interactionID(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	id, _, ok := strings.Cut(c.Value, ".")
	if !ok || !domain.IsID(id) {
		return ""
	}
	if !hmac.Equal([]byte(h.sign(id)), []byte(c.Value)) {
		return ""
	}
	return id
}

func (h *Handler) setCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: h.sign(id), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.cfg.SecureCookie, MaxAge: int(h.cfg.TTL.Seconds()),
	})
}
