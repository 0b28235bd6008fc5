// Package domain holds authtrail's core types: events, errors, clocks and
// identifiers. It and its subpackages are pure: no NATS, no HTTP, no disk.
// Aggregates are folds of events; decisions are functions from state and a
// command to new events or an error.
package domain
