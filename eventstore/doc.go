// Package eventstore is authtrail's event log on NATS JetStream: one stream
// over events.>, one subject per aggregate (events.<aggType>.<id>), metadata
// in headers, optimistic concurrency on the subject's last sequence, atomic
// batches for multi-event and multi-aggregate commits, and Run for
// load-decide-append commands that retry on conflict.
package eventstore
