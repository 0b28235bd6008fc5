package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/apitest"
	"github.com/authtrail/authtrail/api/onelogin"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/embedded"
	"github.com/authtrail/authtrail/projections"
	"github.com/authtrail/authtrail/projections/interactions"
)

// adminClients is the concurrency of the admin lists: a few auditors and
// dashboards, not the sign-in traffic.
// (-admin-clients).
var adminClients = 4

// adminRound is how long each load runs before the next takes over.
const adminRound = 500 * time.Millisecond

// measureAdmin measures the admin API's lists by user and by failure over
// a read model of m interactions, against GET /healthz on the same server,
// at adminClients concurrent clients.
//
// The read model is filled by the projection itself, fed the synthetic log
// straight from memory (feedSynthLog) in large transactions, then a real
// server opens it: a server catching up through the log folds about 15k
// events/s here (see the rebuild measurement), which makes a million
// interactions (4M+ events) take several minutes; the rows are the same.
// The server's own log stays nearly empty, so its projection checkpoint
// (X-Authtrail-Projection-Seq) is small: the lists do not read it.
func measureAdmin(ctx context.Context, r *rig, m int, d time.Duration) (string, error) {
	setupCtx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	dir, err := os.MkdirTemp(filepath.Dir(r.options.ReadModelDB), "admin-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	ns, err := embedded.Start(embedded.Options{DataDir: filepath.Join(dir, "nats"), ServerName: "bench-admin"})
	if err != nil {
		return "", err
	}
	defer embedded.Shutdown(ns)
	nc, err := embedded.Connect(ns, "bench-admin")
	if err != nil {
		return "", err
	}
	defer nc.Close()
	store, err := eventstore.Open(setupCtx, nc, eventstore.Config{})
	if err != nil {
		return "", err
	}
	dbPath := filepath.Join(dir, projections.FileName)
	log, err := fillInteractions(setupCtx, r, store, dbPath, synthSpec{interactions: m, users: usersFor(m),
		concurrent: synthConcurrency, failRate: 0.1})
	if err != nil {
		return "", err
	}
	options := r.options
	options.Hasher = apitest.CheapHasher()
	options.ReadModelDB = dbPath
	options.APIClients = []onelogin.Client{{ID: "bench-auditor", Secret: "bench-auditor-secret", Scope: onelogin.ScopeReadAll}}
	srv, err := api.New(setupCtx, store, options)
	if err != nil {
		return "", err
	}
	defer srv.Close()
	if err := srv.ReadModels.WaitCurrent(setupCtx); err != nil {
		return "", err
	}
	srv.SetReady(true)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	token, err := bearerToken(setupCtx, ts.URL, "bench-auditor", "bench-auditor-secret")
	if err != nil {
		return "", err
	}
	// The lists must hold what was written, or their speed means nothing.
	busiest := 0
	for i, n := range log.perUser {
		if n > log.perUser[busiest] {
			busiest = i
		}
	}
	if err := checkList(setupCtx, ts.URL, token, "userId="+log.userIDs[busiest], min(50, log.perUser[busiest]), false); err != nil {
		return "", err
	}
	if err := checkList(setupCtx, ts.URL, token, "failed=true", min(50, log.failed), true); err != nil {
		return "", err
	}

	auth := "Authorization: Bearer " + token + "\r\n"
	health, byUser, failed := make([]*rawClient, adminClients), make([]*rawClient, adminClients), make([]*rawClient, adminClients)
	rngs := make([]*rand.Rand, adminClients)
	for w := 0; w < adminClients; w++ {
		if health[w], err = newRawGet(ts.URL, "/healthz", ""); err != nil {
			return "", err
		}
		if byUser[w], err = newRawGet(ts.URL, "/api/admin/interactions?userId=1&limit=50", auth); err != nil {
			return "", err
		}
		if failed[w], err = newRawGet(ts.URL, "/api/admin/interactions?failed=true&limit=50", auth); err != nil {
			return "", err
		}
		defer health[w].close()
		defer byUser[w].close()
		defer failed[w].close()
		rngs[w] = rand.New(rand.NewPCG(uint64(w), 7))
	}
	loads := []func(ctx context.Context, w int) error{
		func(ctx context.Context, w int) error { return health[w].do(http.StatusOK) },
		func(ctx context.Context, w int) error {
			// A user drawn at random: every page read comes from another
			// part of the index.
			id := log.userIDs[rngs[w].IntN(len(log.userIDs))]
			byUser[w].request = getRequest(byUser[w].addr, "/api/admin/interactions?userId="+url.QueryEscape(id)+"&limit=50", auth)
			return byUser[w].do(http.StatusOK)
		},
		func(ctx context.Context, w int) error { return failed[w].do(http.StatusOK) },
	}
	rounds := max(6, int(d/adminRound))
	all, perRound, err := alternate(ctx, adminClients, d, rounds, loads...)
	if err != nil {
		return "", err
	}
	healthAll, userAll, failedAll := all[0], all[1], all[2]
	userRatios, failedRatios := roundRatios(perRound, 1, 0), roundRatios(perRound, 2, 0)
	var b strings.Builder
	fmt.Fprintf(&b, "GET /api/admin/interactions at %d concurrent clients over %d interactions (%d events, %d users, %d with a failure; read model fed in %v, %.0f events/s; %d rounds of %v each, order rotating):\n",
		adminClients, log.interactions, log.events, len(log.userIDs), log.failed, log.elapsed.Round(time.Millisecond),
		float64(log.events)/log.elapsed.Seconds(), rounds, d/time.Duration(rounds))
	fmt.Fprintf(&b, "  GET /healthz (baseline)     %s\n", healthAll)
	fmt.Fprintf(&b, "  ?userId=…&limit=50          %s\n", userAll)
	fmt.Fprintf(&b, "    p99                       %v, %.1f x baseline's (target <= 20ms); rate %.2f of baseline's, median round %.2f\n",
		userAll.percentile(0.99).Round(10*time.Microsecond), ratio(userAll.percentile(0.99), healthAll.percentile(0.99)),
		userAll.perSecond()/healthAll.perSecond(), median(userRatios))
	fmt.Fprintf(&b, "  ?failed=true&limit=50       %s\n", failedAll)
	fmt.Fprintf(&b, "    p99                       %v, %.1f x baseline's (target <= 20ms); rate %.2f of baseline's, median round %.2f\n",
		failedAll.percentile(0.99).Round(10*time.Microsecond), ratio(failedAll.percentile(0.99), healthAll.percentile(0.99)),
		failedAll.perSecond()/healthAll.perSecond(), median(failedRatios))
	return b.String(), nil
}

// fillInteractions makes the database at path hold the interactions read
// model of the synthetic log. The live version is created by a host first:
// a host drops the tables of versions it has no row for.
func fillInteractions(ctx context.Context, r *rig, store *eventstore.Store, path string, spec synthSpec) (synthLog, error) {
	db, err := projections.OpenDB(ctx, path)
	if err != nil {
		return synthLog{}, err
	}
	defer db.Close()
	load := func(ctx context.Context, subject string) ([]eventstore.Envelope, error) {
		envs, _, err := store.Load(ctx, subject)
		return envs, err
	}
	p := interactions.New(r.events[interaction.AggregateType], load)
	h, err := projections.Start(ctx, db, store.JetStream(), store.Stream(), slog.New(slog.NewTextHandler(io.Discard, nil)), p)
	if err != nil {
		return synthLog{}, err
	}
	st, err := h.StatusOf(ctx, interactions.Name)
	h.Stop()
	if err != nil {
		return synthLog{}, err
	}
	return feedSynthLog(ctx, db, bigCache{p}, projections.Tables{Name: interactions.Name, Version: st.Version}, spec)
}

// fillCacheKiB is the SQLite page cache of the connection that fills the
// read model. With the default 2 MB, nearly every insert into a table of a
// million rows with a random key and four indexes reads its pages from the
// file, which makes the fill take many minutes; the rows written are the
// same. The cache is the filling connection's alone: the server opens its
// own connections with the defaults.
const fillCacheKiB = 1 << 20

// bigCache is the interactions projection, run on a connection with a
// page cache of fillCacheKiB.
type bigCache struct{ *interactions.Projection }

func (p bigCache) Begin(ctx context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", fillCacheKiB)); err != nil {
		return nil, err
	}
	return p.Projection.Begin(ctx, tx, t)
}

// bearerToken obtains an access token for an API client (client
// credentials, basic auth).
func bearerToken(ctx context.Context, base, id, secret string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+onelogin.TokenPath, strings.NewReader(`{"grant_type":"client_credentials"}`))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(id, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &body); err != nil || body.AccessToken == "" {
		return "", fmt.Errorf("token for %s: %d %s", id, resp.StatusCode, data)
	}
	return body.AccessToken, nil
}

// checkList requires a list to answer want items, each with a failure
// when failures is set.
func checkList(ctx context.Context, base, token, query string, want int, failures bool) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/admin/interactions?"+query+"&limit=50", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var page struct {
		Items []struct {
			Status   string            `json:"status"`
			Failures []json.RawMessage `json:"failures"`
		} `json:"items"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(data, &page) != nil {
		return fmt.Errorf("GET ?%s: %d %.200s", query, resp.StatusCode, data)
	}
	if len(page.Items) != want {
		return fmt.Errorf("GET ?%s: %d items, want %d", query, len(page.Items), want)
	}
	for _, it := range page.Items {
		if failures && len(it.Failures) == 0 {
			return fmt.Errorf("GET ?%s: an item without failures", query)
		}
	}
	return nil
}

// newRawGet is a lean client for a GET with extra header lines (each
// ending in \r\n).
func newRawGet(base, path, header string) (*rawClient, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	return &rawClient{addr: u.Host, request: getRequest(u.Host, path, header)}, nil
}

func getRequest(host, path, header string) []byte {
	return []byte("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + header + "\r\n")
}
