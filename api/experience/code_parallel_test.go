package experience_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/workers/delivery"
)

// The delivery worker sends several codes at once, at most
// delivery.PerConnector through one connector, and each code still goes
// out once and is recorded once.
func TestCodesGoOutSeveralAtOnceAndOnceEach(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	var mu sync.Mutex
	sending, most := 0, 0
	release := make(chan struct{})
	smtp.BeforeData = func() {
		mu.Lock()
		sending++
		most = max(most, sending)
		mu.Unlock()
		<-release
		mu.Lock()
		sending--
		mu.Unlock()
	}
	srv := apitest.NewServer(t, apitest.Options{Settings: emailSettings(), SMTP: smtp})
	const sends = 2*delivery.PerConnector + 2
	var clients []*apitest.Client
	for i := range sends {
		c := srv.Client(t)
		start(t, c, "Register")
		verificationID(t, sendCode(t, c, "email", fmt.Sprintf("p%d@example.com", i), "Register"))
		clients = append(clients, c)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := sending
		mu.Unlock()
		if n == delivery.PerConnector || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a fifth send would have started by now
	mu.Lock()
	held := sending
	mu.Unlock()
	close(release)
	smtp.WaitMail(t, sends)
	if held != delivery.PerConnector || most != delivery.PerConnector {
		t.Fatalf("%d sends at once (most %d), want %d", held, most, delivery.PerConnector)
	}
	for _, c := range clients {
		subject := "events.interaction." + c.InteractionID()
		sent := 0
		for _, typ := range waitEventTypes(t, srv, subject, "interaction.code.sent") {
			if typ == "interaction.code.sent" {
				sent++
			}
		}
		if sent != 1 {
			t.Errorf("%s: %d interaction.code.sent, want 1", subject, sent)
		}
	}
	if got := len(smtp.Mail()); got != sends {
		t.Fatalf("%d mails, want %d", got, sends)
	}
}

// waitEventTypes waits until subject has an event of type want and returns
// its event types.
func waitEventTypes(t *testing.T, srv *apitest.Server, subject, want string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		types := srv.EventTypes(t, subject)
		for _, typ := range types {
			if typ == want {
				return types
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no %s after 10s: %v", subject, want, types)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
