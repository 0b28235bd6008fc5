// Package onelogin serves OneLogin's API v2 for multi-factor
// authentication, so that OneLogin's SDKs (the Python SDK 4.x first) work
// against authtrail unchanged.
//
// This part holds the OAuth side (docs/onelogin-api.md: Tokens, Scopes, Rate
// limits):
//
//   - POST /auth/oauth2/v2/token issues a client-credentials access token.
//     The client authenticates with "Authorization: client_id:<id>,
//     client_secret:<secret>", HTTP Basic, or client_id/client_secret in a
//     form body; errors use the v1 status envelope.
//   - POST /auth/oauth2/revoke revokes one.
//   - Auth.Require guards resource endpoints: bearer token, credential
//     scope, rate limit.
//
// Tokens are opaque (256-bit HMAC of a random id under the server key),
// last 10 hours, and are returned again by repeated token calls while
// valid. Issue and revocation are events on one aggregate per client
// (events.apiclient.<hash of the client id>), which carry the random id and
// the token's SHA-256, never the token. A token's prefix names its
// client's aggregate, so any process finds tokens issued by another.
//
// Rate limits are token buckets per credential (default 5000 per hour)
// kept in this process's memory: each process of a cluster grants the full
// rate, and a restart refills the buckets.
//
// Errors of resource endpoints are "altErr" bodies (APIError, WriteError).
package onelogin
