package publicstream_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/workers/publicstream"
)

var update = flag.Bool("update", false, "rewrite docs/events from the event types")

const docsDir = "../../docs/events"

// docs/events holds exactly the schemas the event types give, and the
// README lists every public type.
func TestDocsHoldTheSchemaOfEveryPublicType(t *testing.T) {
	schemas, err := publicstream.Schemas(api.BuiltinCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		old, _ := filepath.Glob(filepath.Join(docsDir, "*.json"))
		for _, f := range old {
			_ = os.Remove(f)
		}
		for eventType, s := range schemas {
			if err := os.WriteFile(filepath.Join(docsDir, eventType+".json"), append(s, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(docsDir, "*.json"))
	if len(files) != len(schemas) {
		t.Errorf("docs/events has %d schemas, the event types give %d (go test ./workers/publicstream -run Docs -update)", len(files), len(schemas))
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for eventType, s := range schemas {
		got, err := os.ReadFile(filepath.Join(docsDir, eventType+".json"))
		if err != nil || !bytes.Equal(bytes.TrimSpace(got), s) {
			t.Errorf("docs/events/%s.json is not the schema of %s (go test ./workers/publicstream -run Docs -update)", eventType, eventType)
		}
		if !strings.Contains(string(readme), "[`authtrail."+eventType+"`](docs/events/"+eventType+".json)") {
			t.Errorf("README does not list authtrail.%s", eventType)
		}
	}
	for _, want := range []string{"interaction.started", "interaction.password.failed", "interaction.submitted", "user.registered", "sentinel.locked"} {
		if _, ok := schemas[want]; !ok {
			t.Errorf("no schema for %s", want)
		}
	}
}

// Every message of a scripted run validates against its schema, and none
// holds a secret the run used.
func TestEveryMessageOfAScriptedRunMatchesItsSchema(t *testing.T) {
	smtp := apitest.NewSMTPServer(t)
	sie := apitest.ScriptSettings()
	sie.SentinelPolicy = settings.SentinelPolicy{MaxAttempts: 3, LockoutDuration: 60}
	srv := apitest.NewServer(t, apitest.Options{Settings: sie, SMTP: smtp})
	secrets := apitest.UseEverySecret(t, srv, smtp, apitest.RegisterMFAUser(t, srv))
	waitPublished(t, srv)

	schemas, err := publicstream.Schemas(srv.API().Catalogue())
	if err != nil {
		t.Fatal(err)
	}
	compiler := jsonschema.NewCompiler()
	compiled := map[string]*jsonschema.Schema{}
	for eventType, s := range schemas {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		if err := compiler.AddResource(eventType+".json", doc); err != nil {
			t.Fatal(err)
		}
		if compiled[eventType], err = compiler.Compile(eventType + ".json"); err != nil {
			t.Fatalf("%s: %v", eventType, err)
		}
	}
	seen := map[string]int{}
	for _, m := range published(t, srv.Store.JetStream()) {
		eventType := strings.TrimPrefix(m.Subject, "authtrail.")
		s, ok := compiled[eventType]
		if !ok {
			t.Fatalf("%s has no schema", m.Subject)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			t.Errorf("%s (message %d) does not match its schema: %v\n%s", m.Subject, m.Sequence, err, m.Data)
		}
		for _, secret := range secrets {
			if strings.Contains(string(m.Data), secret) {
				t.Errorf("%s (message %d) holds the secret %q", m.Subject, m.Sequence, secret)
			}
		}
		seen[eventType]++
	}
	for _, want := range []string{"interaction.started", "interaction.password.failed", "interaction.submitted", "user.registered",
		"sentinel.locked", "interaction.code.verified", "user.mfa.backup_code_used", "interaction.totp.verified"} {
		if seen[want] == 0 {
			t.Errorf("the run published no %s (%v)", want, seen)
		}
	}
	var locked struct {
		Data struct {
			Identifier struct{ Type, Value string } `json:"identifier"`
			Until      string                       `json:"until"`
		} `json:"data"`
	}
	for _, m := range published(t, srv.Store.JetStream()) {
		if m.Subject == "authtrail.sentinel.locked" {
			_ = json.Unmarshal(m.Data, &locked)
		}
	}
	if locked.Data.Identifier.Type != "username" || locked.Data.Identifier.Value != "alice" || locked.Data.Until == "" {
		t.Fatalf("sentinel.locked data %+v", locked.Data)
	}
}
