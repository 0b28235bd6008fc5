// The built-in sign-in page: drives /api/experience like any Logto page.
// No framework, no build step; every step is a form, so Enter and Tab do
// what they should without a mouse.
"use strict";

// Logto's messages for the codes a person sees here; any other code shows
// the API's own message.
const messages = {
  "session.invalid_credentials": "The account name or password is wrong.",
  "user.user_not_exist": "The account name or password is wrong.",
  "session.verification_failed": "The verification did not succeed. Please start again.",
  "verification_code.code_mismatch": "Invalid verification code.",
  "verification_code.expired": "The verification code has expired. Please request a new one.",
  "verification_code.exceed_max_try": "Too many attempts. Please request a new code.",
  "session.mfa.invalid_totp_code": "Invalid TOTP code.",
  "session.mfa.invalid_backup_code": "Invalid backup code.",
  "session.mfa.webauthn_verification_failed": "The security key could not be verified.",
  "session.verification_blocked_too_many_attempts": "Too many attempts. Please try again later.",
  "request.too_many_failed_attempts": "Too many failed attempts from this network. Please wait and try again.",
  "user.username_already_in_use": "This username is already in use.",
  "password.rejected": "This password does not meet the password policy.",
  "user.missing_profile": "More information is needed to finish: please contact your administrator.",
  "session.not_found": "Your session has expired. Please start again from the application.",
  "session.sso_enabled": "This email domain signs in with single sign-on.",
  "user.sign_in_method_not_enabled": "This sign-in method is not enabled.",
  "session.csrf_token_mismatch": "The sign-in could not be confirmed. Please start again.",
  "connector.authorization_failed": "The provider did not sign you in.",
  "user.identity_already_in_use": "This account is already linked to another user.",
  "user.email_already_in_use": "This email belongs to another account: sign in with it first.",
};

const $ = (id) => document.getElementById(id);
let identifier = null; // {type, value} of the sign-in in progress
let codeVerificationId = "";

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const r = await fetch("/api/experience" + path, init);
  let data = {};
  if (r.status !== 204) {
    data = await r.json().catch(() => ({}));
  }
  return { status: r.status, body: data };
}

function show(step) {
  for (const el of document.querySelectorAll("[data-step]")) {
    el.hidden = el.dataset.step !== step;
  }
  $("title").textContent = step === "register" ? "Create an account" : "Sign in";
  const first = document.querySelector(`[data-step="${step}"] input, [data-step="${step}"] button:not([hidden])`);
  if (first) first.focus();
}

function showError(body) {
  const el = $("error");
  el.textContent = messages[body.code] || body.message || "Something went wrong. Please try again.";
  el.dataset.code = body.code || "";
  el.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").dataset.code = "";
}

// An ok answer, or the error shown and null.
function ok(r, ...statuses) {
  if (statuses.includes(r.status)) return r.body;
  showError(r.body);
  return null;
}

// Federated sign-in (a social provider, the company's SSO): the browser
// leaves for the provider, which sends it back to this page with the
// answer; what verify needs in between waits in sessionStorage.
const pendingKey = "authtrail.federated";
let offers = { social: [], sso: false };

function randomState() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function federated(kind, connectorId) {
  clearError();
  const state = randomState();
  const redirectUri = window.location.origin + window.location.pathname;
  const body = ok(await api("POST", `/verification/${kind}/${connectorId}/authorization-uri`, { state, redirectUri }), 200);
  if (!body) return;
  sessionStorage.setItem(pendingKey, JSON.stringify({ kind, connectorId, state, verificationId: body.verificationId }));
  window.location.assign(body.authorizationUri);
}

// resume finishes a federated sign-in the provider sent the browser back
// from: verify, then identify, registering a first-time user.
async function resume() {
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) || "null");
  const q = new URLSearchParams(window.location.search);
  if (!pending || !q.has("state")) return false;
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, "", window.location.pathname); // the code leaves the address bar
  const connectorData = { state: q.get("state") };
  for (const key of ["code", "error"]) if (q.has(key)) connectorData[key] = q.get(key);
  show("identify");
  const verified = await api("POST", `/verification/${pending.kind}/${pending.connectorId}/verify`,
    { verificationId: pending.verificationId, connectorData });
  if (!ok(verified, 200)) return true;
  const body = { verificationId: pending.verificationId };
  let r = await api("POST", "/identification", body);
  if (r.status === 404 && (r.body.code === "user.identity_not_exist" || r.body.code === "user.sso_identity_not_exist")) {
    if (!ok(await api("PUT", "/interaction-event", { interactionEvent: "Register" }), 204)) return true;
    r = await api("POST", "/identification", body);
  }
  if (ok(r, 201, 204)) await submit();
  return true;
}

function targetName(target) {
  return target.charAt(0).toUpperCase() + target.slice(1);
}

function showOffers() {
  const box = $("social");
  box.replaceChildren();
  for (const c of offers.social) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = "social-" + c.id;
    b.textContent = "Continue with " + targetName(c.target);
    b.addEventListener("click", (e) => {
      e.preventDefault();
      federated("social", c.id).catch((err) => showError({ message: String(err) }));
    });
    box.append(b);
  }
  box.hidden = offers.social.length === 0;
}

// ssoConnector is the SSO connector an email must sign in with, or "".
async function ssoConnector(id) {
  if (!offers.sso || id.type !== "email") return "";
  const r = await api("GET", "/sso-connectors?email=" + encodeURIComponent(id.value));
  return r.status === 200 && r.body.connectorIds.length > 0 ? r.body.connectorIds[0] : "";
}

function identifierOf(text) {
  const value = text.trim();
  if (value.includes("@")) return { type: "email", value };
  if (/^\+?[0-9][0-9 ()-]{5,}$/.test(value)) return { type: "phone", value: value.replace(/[^0-9]/g, "") };
  return { type: "username", value };
}

async function identify(verificationId, statuses = [204]) {
  const r = await api("POST", "/identification", { verificationId });
  if (ok(r, ...statuses)) await submit();
}

async function submit() {
  const r = await api("POST", "/submit");
  if (r.status === 200) {
    show("done");
    window.location.assign(r.body.redirectTo);
    return;
  }
  const data = (r.body && r.body.data) || {};
  switch (r.body.code) {
    case "session.mfa.require_mfa_verification":
      return chooseMFA(data.availableFactors || []);
    case "user.suggest_mfa":
    case "user.missing_mfa":
      return chooseBinding(data, r.body.code);
  }
  showError(r.body);
}

function chooseMFA(factors) {
  $("mfa-totp").hidden = !factors.includes("Totp");
  $("mfa-webauthn").hidden = !factors.includes("WebAuthn") || !window.PublicKeyCredential;
  $("mfa-backup").hidden = !factors.includes("BackupCode");
  if (factors.length === 1 && factors[0] === "Totp") return show("totp");
  show("mfa");
}

let skipPath = "";
function chooseBinding(data, code) {
  const factors = data.availableFactors || [];
  $("bind-webauthn").hidden = !factors.includes("WebAuthn") || !window.PublicKeyCredential;
  skipPath = code === "user.suggest_mfa" ? "/profile/mfa/mfa-suggestion-skipped" : data.skippable ? "/profile/mfa/mfa-skipped" : "";
  $("bind-skip").hidden = skipPath === "";
  show("bind");
}

// WebAuthn: the API's options are the JSON forms of the Web
// Authentication API's; buffers travel as base64url.
const b64url = {
  decode(s) {
    const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
  },
  encode(buf) {
    let s = "";
    for (const byte of new Uint8Array(buf)) s += String.fromCharCode(byte);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  },
};

function publicKeyOptions(o) {
  const pk = Object.assign({}, o.publicKey || o);
  pk.challenge = b64url.decode(pk.challenge);
  if (pk.user) pk.user = Object.assign({}, pk.user, { id: b64url.decode(pk.user.id) });
  for (const key of ["excludeCredentials", "allowCredentials"]) {
    if (pk[key]) pk[key] = pk[key].map((c) => Object.assign({}, c, { id: b64url.decode(c.id) }));
  }
  return pk;
}

function credentialJSON(cred) {
  const r = cred.response;
  const response = { clientDataJSON: b64url.encode(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = b64url.encode(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
  }
  if (r.authenticatorData) {
    response.authenticatorData = b64url.encode(r.authenticatorData);
    response.signature = b64url.encode(r.signature);
    if (r.userHandle) response.userHandle = b64url.encode(r.userHandle);
  }
  return {
    id: cred.id, rawId: b64url.encode(cred.rawId), type: cred.type, response,
    clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
  };
}

// webauthn runs one ceremony: "authentication" (navigator.credentials.get)
// or "registration" (create); it returns the verified record's id, or ""
// with the error shown.
async function webauthn(ceremony) {
  clearError();
  const path = "/verification/web-authn/" + ceremony;
  const start = ok(await api("POST", path), 200);
  if (!start) return "";
  let cred;
  try {
    cred = ceremony === "registration"
      ? await navigator.credentials.create({ publicKey: publicKeyOptions(start.registrationOptions) })
      : await navigator.credentials.get({ publicKey: publicKeyOptions(start.authenticationOptions) });
  } catch (e) {
    showError({ message: "The security key did not answer: " + e.message });
    return "";
  }
  const verified = await api("POST", path + "/verify", { verificationId: start.verificationId, payload: credentialJSON(cred) });
  return ok(verified, 200) ? start.verificationId : "";
}

async function webauthnAuthenticate() {
  if (await webauthn("authentication")) await submit();
}

async function webauthnBind() {
  const verificationId = await webauthn("registration");
  if (verificationId && ok(await api("POST", "/profile/mfa", { type: "WebAuthn", verificationId }), 204)) await submit();
}

function on(id, event, fn) {
  $(id).addEventListener(event, (e) => {
    e.preventDefault();
    fn().catch((err) => showError({ message: String(err) }));
  });
}

async function start() {
  const o = await fetch("/sign-in/offers.json", { credentials: "same-origin" }).then((r) => r.json()).catch(() => null);
  if (o) offers = o;
  showOffers();
  if (await resume()) return;
  const current = await api("GET", "/interaction");
  if (current.status !== 200) {
    if (!ok(await api("PUT", "", { interactionEvent: "SignIn" }), 204)) return;
  } else if (current.body.interactionEvent === "Register") {
    return show("register");
  }
  const hint = new URLSearchParams(window.location.search).get("login_hint");
  if (hint) $("identifier").value = hint;
  show("identify");
}

on("identify", "submit", async () => {
  clearError();
  identifier = identifierOf($("identifier").value);
  const sso = await ssoConnector(identifier);
  if (sso) return federated("sso", sso);
  const r = await api("POST", "/verification/password", { identifier, password: $("password").value });
  const body = ok(r, 200);
  if (body) await identify(body.verificationId);
});

on("send-code", "click", async () => {
  clearError();
  identifier = identifierOf($("identifier").value);
  if (identifier.type === "username") return showError({ message: "Enter an email address or a phone number for a code." });
  const body = ok(await api("POST", "/verification/verification-code", { identifier, interactionEvent: "SignIn" }), 200);
  if (!body) return;
  codeVerificationId = body.verificationId;
  show("code");
});

on("code", "submit", async () => {
  clearError();
  const r = await api("POST", "/verification/verification-code/verify",
    { identifier, verificationId: codeVerificationId, code: $("code-input").value.trim() });
  if (ok(r, 200)) await identify(codeVerificationId);
});

on("totp", "submit", async () => {
  clearError();
  if (ok(await api("POST", "/verification/totp/verify", { code: $("totp-input").value.trim() }), 200)) await submit();
});

on("backup", "submit", async () => {
  clearError();
  if (ok(await api("POST", "/verification/backup-code/verify", { code: $("backup-input").value.trim() }), 200)) await submit();
});

on("mfa-totp", "click", async () => show("totp"));
on("mfa-backup", "click", async () => show("backup"));
on("mfa-webauthn", "click", webauthnAuthenticate);
on("bind-webauthn", "click", webauthnBind);
on("bind-skip", "click", async () => {
  if (ok(await api("POST", skipPath), 204)) await submit();
});

on("to-register", "click", async () => {
  clearError();
  if (ok(await api("PUT", "/interaction-event", { interactionEvent: "Register" }), 204)) show("register");
});
on("to-sign-in", "click", async () => {
  clearError();
  if (ok(await api("PUT", "/interaction-event", { interactionEvent: "SignIn" }), 204)) show("identify");
});

on("register", "submit", async () => {
  clearError();
  identifier = { type: "username", value: $("new-username").value.trim() };
  const body = ok(await api("POST", "/verification/new-password-identity", { identifier, password: $("new-password").value }), 200);
  if (body) await identify(body.verificationId, [201, 204]);
});

start().catch((err) => showError({ message: String(err) }));
