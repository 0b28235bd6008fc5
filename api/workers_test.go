package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/api"
)

// The public events carry the server's URL as their source; workers
// without one would poison every event, so they refuse to start.
func TestWorkersRefuseToStartWithoutAnAbsolutePublicURL(t *testing.T) {
	for _, publicURL := range []string{"", "localhost:3001", "/auth", "http://"} {
		stop, err := api.StartWorkers(context.Background(), nil, api.WorkerOptions{PublicURL: publicURL})
		if err == nil {
			stop()
			t.Errorf("PublicURL %q: started, want an error", publicURL)
		} else if !strings.Contains(err.Error(), "PublicURL") {
			t.Errorf("PublicURL %q: error %q does not name PublicURL", publicURL, err)
		}
	}
}
