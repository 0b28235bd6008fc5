package embedded

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
)

func TestInternalCredentialsStayInProcess(t *testing.T) {
	ns, err := Start(Options{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	internal, ok := lookupCredentials(ns)
	if !ok || len(internal.password) < 43 {
		t.Fatalf("internal credentials %v, %v", ok, len(internal.password))
	}
	// A leaked internal password is of no use over TCP.
	if nc, err := nats.Connect(ns.ClientURL(), nats.UserInfo(internal.user, internal.password)); err == nil {
		nc.Close()
		t.Fatal("internal user connected over TCP")
	} else if !errors.Is(err, nats.ErrAuthorization) {
		t.Fatalf("internal user over TCP: %v, want an authorization violation", err)
	}

	// Each Start has its own password.
	other, err := Start(Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := lookupCredentials(other); o.password == internal.password {
		t.Fatal("two servers share the internal password")
	}
	Shutdown(other)
	Shutdown(ns)
	if _, ok := lookupCredentials(ns); ok {
		t.Fatal("credentials outlive Shutdown")
	}
}

func TestInternalUserNameIsReserved(t *testing.T) {
	if err := validateUsers([]User{{Name: internalUserName, Password: "p"}}); err == nil {
		t.Fatal("an external user may take the internal user's name")
	}
}
