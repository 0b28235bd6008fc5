// Package workers runs authtrail's asynchronous side effects (sending
// verification codes, calling connectors) as Watermill handlers over
// JetStream durable consumers of the event stream.
//
// Each handler gets its own durable pull consumer ("wrk_<name>") and sees
// the events matching its filter one at a time, in stream order. A handler
// error is retried in process (Retry middleware); once retries are used up,
// or at once for an error marked Permanent, the event is copied to the
// POISON stream on poison.<name> and acknowledged, so one bad event never
// blocks the handler. Only when the poison copy itself cannot be written is
// the event handed back to JetStream (NakWithDelay) for a later try.
//
// Connections: the Router and its subscribers use the *nats.Conn they are
// given and never close or drain it; the caller owns it and closes it after
// Run has returned. A connection of its own for the workers keeps their
// traffic apart from the API's.
package workers
