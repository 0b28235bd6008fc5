// Package experience serves Logto's Experience API (/api/experience/*) over
// the event store: every step loads the interaction's events, decides with
// the pure domain functions and appends the outcome.
package experience

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/authtrail/authtrail/api/accounts"
	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/backupcode"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/passkey"
	"github.com/authtrail/authtrail/domain/password"
	"github.com/authtrail/authtrail/domain/secretbox"
	"github.com/authtrail/authtrail/domain/settings"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
	"github.com/gorilla/mux"
)

// Config is the Experience API's part of the server configuration.
type Config struct {
	Settings  settings.SignInExperience
	TTL       time.Duration // interaction lifetime
	ReturnURL string        // submit's redirectTo base (spec §6, decision 5)
	CookieKey []byte        // signs the _interaction cookie
	// SecureCookie marks the cookie Secure (the server is reached over https).
	SecureCookie bool
	// EmailConnector and SMSConnector say which message connectors exist;
	// a code send without one answers 501 connector.not_found.
	EmailConnector, SMSConnector bool
	// WebAuthn is the relying party: rpId, name and allowed origins.
	WebAuthn passkey.Config
}

// Handler serves the Experience API.
type Handler struct {
	cfg         Config
	store       *eventstore.Store
	users       *accounts.Users
	hasher      *password.Hasher
	breached    password.Breached
	clock       domain.Clock
	ids         domain.IDs
	log         *slog.Logger
	codes       *code.Hasher
	codeKeys    *codekeys.Store
	random      io.Reader
	secrets     *secretbox.Keyring
	backupCodes *backupcode.Hasher
	passkeys    *passkey.RP
	cookieMACs  sync.Pool // of hash.Hash keyed with cfg.CookieKey; see sign
	api         *command.API
}

// Deps are the Handler's collaborators; Clock, IDs and Log have defaults.
type Deps struct {
	Store    *eventstore.Store
	Users    *accounts.Users
	Hasher   *password.Hasher
	Breached password.Breached // nil: no breached-password list
	Clock    domain.Clock
	IDs      domain.IDs
	Log      *slog.Logger
	// Codes hashes verification codes; CodeKeys keeps their sealing keys.
	Codes    *code.Hasher
	CodeKeys *codekeys.Store
	// Random feeds codes and keys (crypto/rand when nil).
	Random io.Reader
	// Secrets seals TOTP secrets; BackupCodes hashes backup codes.
	Secrets     *secretbox.Keyring
	BackupCodes *backupcode.Hasher
	Passkeys    *passkey.RP
}

// New builds the handler.
func New(cfg Config, d Deps) *Handler {
	if d.Clock == nil {
		d.Clock = domain.SystemClock{}
	}
	if d.IDs == nil {
		d.IDs = domain.RandomIDs{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Random == nil {
		d.Random = rand.Reader
	}
	h := &Handler{cfg: cfg, store: d.Store, users: d.Users, hasher: d.Hasher, breached: d.Breached,
		clock: d.Clock, ids: d.IDs, log: d.Log, codes: d.Codes, codeKeys: d.CodeKeys, random: d.Random,
		secrets: d.Secrets, backupCodes: d.BackupCodes, passkeys: d.Passkeys}
	h.api = h.commandAPI()
	return h
}

// Register mounts the routes under /api/experience.
func (h *Handler) Register(r *mux.Router) {
	s := r.PathPrefix("/api/experience").Subrouter()
	s.HandleFunc("", command.Handler(h.api, h.parseStart, h.start)).Methods(http.MethodPut)
	s.HandleFunc("/interaction-event", Handle(h, "interaction-event", decodeEvent, h.switchEvent)).Methods(http.MethodPut)
	s.HandleFunc("/interaction", h.getInteraction).Methods(http.MethodGet)
	s.HandleFunc("/identification", Handle(h, "identification", h.parseIdentification, h.identify)).Methods(http.MethodPost)
	s.HandleFunc("/submit", Handle(h, "submit", noBody, h.submit)).Methods(http.MethodPost)
	s.HandleFunc("/profile", Handle(h, "profile", h.parseProfile, h.stageProfile)).Methods(http.MethodPost)
	s.HandleFunc("/profile/password", Handle(h, "profile.password", h.parsePasswordReset, h.resetPassword)).Methods(http.MethodPut)
	s.HandleFunc("/verification/password", Handle(h, "verification.password", h.parsePasswordVerification(false), h.verifyPassword)).Methods(http.MethodPost)
	s.HandleFunc("/verification/new-password-identity", Handle(h, "verification.new-password-identity", h.parsePasswordVerification(true), h.verifyNewPasswordIdentity)).Methods(http.MethodPost)
	s.HandleFunc("/verification/verification-code", Handle(h, "verification.verification-code", h.parseCodeSend, h.sendCode)).Methods(http.MethodPost)
	s.HandleFunc("/verification/verification-code/verify", Handle(h, "verification.verification-code.verify", parseCodeVerify, h.verifyCode)).Methods(http.MethodPost)
	s.HandleFunc("/verification/totp/secret", Handle(h, "verification.totp.secret", h.parseTotpSecret, h.createTotpSecret)).Methods(http.MethodPost)
	s.HandleFunc("/verification/totp/verify", Handle(h, "verification.totp.verify", h.parseTotpVerification, h.verifyTotp)).Methods(http.MethodPost)
	s.HandleFunc("/verification/web-authn/registration", Handle(h, "verification.web-authn.registration", h.newVerificationID, h.startWebAuthn(interaction.CeremonyRegistration))).Methods(http.MethodPost)
	s.HandleFunc("/verification/web-authn/registration/verify", Handle(h, "verification.web-authn.registration.verify", parseWebAuthn, h.verifyWebAuthnRegistration)).Methods(http.MethodPost)
	s.HandleFunc("/verification/web-authn/authentication", Handle(h, "verification.web-authn.authentication", h.newVerificationID, h.startWebAuthn(interaction.CeremonyAuthentication))).Methods(http.MethodPost)
	s.HandleFunc("/verification/web-authn/authentication/verify", Handle(h, "verification.web-authn.authentication.verify", parseWebAuthn, h.verifyWebAuthnAuthentication)).Methods(http.MethodPost)
	s.HandleFunc("/verification/backup-code/generate", Handle(h, "verification.backup-code.generate", h.parseBackupCodes, h.generateBackupCodes)).Methods(http.MethodPost)
	s.HandleFunc("/verification/backup-code/verify", Handle(h, "verification.backup-code.verify", h.parseBackupCodeVerification, h.verifyBackupCode)).Methods(http.MethodPost)
	s.HandleFunc("/verification/mfa-verification-code", Handle(h, "verification.mfa-verification-code", h.parseMFACodeSend, h.sendMFACode)).Methods(http.MethodPost)
	s.HandleFunc("/verification/mfa-verification-code/verify", Handle(h, "verification.mfa-verification-code.verify", parseMFACodeVerify, h.verifyMFACode)).Methods(http.MethodPost)
	s.HandleFunc("/profile/mfa", Handle(h, "profile.mfa", parseBind, h.bindMFA)).Methods(http.MethodPost)
	s.HandleFunc("/profile/mfa/mfa-skipped", Handle(h, "profile.mfa.mfa-skipped", noBody, h.skipMFA(interaction.SkipMFA))).Methods(http.MethodPost)
	s.HandleFunc("/profile/mfa/mfa-suggestion-skipped", Handle(h, "profile.mfa.mfa-suggestion-skipped", noBody, h.skipMFA(interaction.SkipMFASuggestion))).Methods(http.MethodPost)
}

func (h *Handler) sie() *settings.SignInExperience { return &h.cfg.Settings }
