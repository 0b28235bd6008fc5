// Command oidcdemo is the README's relying party: an application on
// http://localhost:3000 that signs its users in with authtrail's OpenID
// Connect provider (the default client demo), verifies the ID token with
// coreos/go-oidc, and shows its claims.
//
//	go run ./cmd/authtrail serve      # in one terminal
//	go run ./scripts/oidcdemo         # in another; open http://localhost:3000
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"log"
	"net/http"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func main() {
	issuer := flag.String("issuer", "http://localhost:3001/oidc", "the provider's issuer")
	addr := flag.String("addr", "localhost:3000", "where the application listens")
	clientID := flag.String("client-id", "demo", "the application's client_id")
	flag.Parse()

	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, *issuer)
	if err != nil {
		log.Fatalf("oidcdemo: discovery of %s: %v (is authtrail serve running?)", *issuer, err)
	}
	conf := oauth2.Config{ClientID: *clientID, Endpoint: provider.Endpoint(), RedirectURL: "http://" + *addr + "/callback",
		Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	verifier := provider.Verifier(&oidc.Config{ClientID: *clientID})

	// One pending sign-in per state: its PKCE verifier and nonce.
	var mu sync.Mutex
	pending := map[string][2]string{}

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		state, nonce, pkce := rand.Text(), rand.Text(), oauth2.GenerateVerifier()
		mu.Lock()
		pending[state] = [2]string{pkce, nonce}
		mu.Unlock()
		http.Redirect(w, r, conf.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(pkce)), http.StatusFound)
	})
	http.HandleFunc("/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		p, ok := pending[q.Get("state")]
		delete(pending, q.Get("state"))
		mu.Unlock()
		if e := q.Get("error"); e != "" || !ok {
			http.Error(w, fmt.Sprintf("sign-in failed: %s %s (state known: %v)", e, q.Get("error_description"), ok), http.StatusBadRequest)
			return
		}
		tok, err := conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p[0]))
		if err != nil {
			http.Error(w, "code exchange: "+err.Error(), http.StatusBadGateway)
			return
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := verifier.Verify(r.Context(), raw)
		if err != nil || idt.Nonce != p[1] {
			http.Error(w, fmt.Sprintf("ID token refused: %v", err), http.StatusBadGateway)
			return
		}
		var claims map[string]any
		_ = idt.Claims(&claims)
		info, err := provider.UserInfo(r.Context(), oauth2.StaticTokenSource(tok))
		var profile map[string]any
		if err == nil {
			_ = info.Claims(&profile)
		}
		out, _ := json.MarshalIndent(map[string]any{"idToken": claims, "userinfo": profile}, "", "  ")
		fmt.Println(string(out))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>Signed in</title><h1>Signed in</h1><pre>%s</pre>", html.EscapeString(string(out)))
	})
	log.Printf("oidcdemo: open http://%s to sign in with %s", *addr, *issuer)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
