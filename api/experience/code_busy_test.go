package experience_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
)

// While the code goes out, the user keeps acting on the interaction, so the
// worker's append of the outcome conflicts again and again. It must still
// record the outcome once and send the code once: giving up would have the
// request redelivered and the code sent a second time.
func TestCodeGoesOutOnceWhileTheInteractionIsBusy(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp, ManualWorkers: true})
	c := srv.Client(t)
	start(t, c, "Register")
	verificationID(t, sendCode(t, c, "email", "busy@example.com", "Register"))
	subject := "events.interaction." + c.InteractionID()

	// Refused requests: each appends interaction.request.failed.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var refused atomic.Int64
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, c.Base+"/api/experience/identification",
					strings.NewReader(`{"verificationId":"nosuchverification01"}`))
				req.Header.Set("Content-Type", "application/json")
				resp, err := c.HTTP.Do(req)
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusNotFound {
					refused.Add(1)
				}
			}
		}()
	}
	srv.StartWorkers(t)
	smtp.WaitMail(t, 1)
	sent := func() int { return count(srv.EventTypes(t, subject), "interaction.code.sent") }
	for deadline := time.Now().Add(10 * time.Second); sent() == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	// A redelivered request would be sent again after a second.
	time.Sleep(1500 * time.Millisecond)

	if n := refused.Load(); n < 10 {
		t.Fatalf("only %d refused requests: no contention to test", n)
	}
	if n := sent(); n != 1 {
		t.Errorf("%d interaction.code.sent events, want 1", n)
	}
	if n := smtp.Count(); n != 1 {
		t.Errorf("%d mails, want 1", n)
	}
}

var count = apitest.Count
