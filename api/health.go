package api

import (
	"net/http"

	"github.com/authtrail/authtrail/api/httpx"
)

// alive answers as soon as HTTP serves: the process is up, whether or not
// it is ready (a liveness probe that restarts it would not help a store
// that is still catching up).
func (s *Server) alive(w http.ResponseWriter, _ *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
