package eventstore

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

var (
	// ErrConflict means an aggregate changed since it was loaded: reload,
	// decide again and retry.
	ErrConflict = errors.New("eventstore: conflict: aggregate changed since it was loaded")
	// ErrNotFound means a subject holds no events.
	ErrNotFound = errors.New("eventstore: not found")
	// ErrAggregateFull means an aggregate reached the stream's per-subject
	// message limit; the server refuses further events for it.
	ErrAggregateFull = errors.New("eventstore: aggregate reached its event limit")
	// ErrInvalidSubject means a subject or one of its tokens is malformed.
	ErrInvalidSubject = errors.New("eventstore: invalid subject")
)

// The server reports the per-subject limit as a generic "store failed"
// error (10077); only its description tells it apart.
const (
	errCodeStoreFailed           jetstream.ErrorCode = 10077
	errCodeBatchDuplicateMsgID   jetstream.ErrorCode = 10201
	maxMsgsPerSubjectDescription                     = "maximum messages per subject exceeded"
)

func apiError(err error) *jetstream.APIError {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr
	}
	return nil
}

// isWrongLastSequence reports an optimistic-concurrency rejection. R1
// streams answer 10071; replicated streams, and batches touching a subject
// twice, answer 10164.
func isWrongLastSequence(err error) bool {
	apiErr := apiError(err)
	return apiErr != nil && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

func isAggregateFull(err error) bool {
	apiErr := apiError(err)
	return apiErr != nil && apiErr.ErrorCode == errCodeStoreFailed &&
		strings.Contains(apiErr.Description, maxMsgsPerSubjectDescription)
}

// isDuplicateInBatch reports a batch refused because one of its message ids
// was already stored: the batch may have been committed by an earlier try.
func isDuplicateInBatch(err error) bool {
	apiErr := apiError(err)
	return apiErr != nil && apiErr.ErrorCode == errCodeBatchDuplicateMsgID
}

// isAmbiguous reports a publish whose outcome is unknown: the request may
// have been stored even though no acknowledgement arrived.
func isAmbiguous(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, context.Canceled) ||
		errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionDraining) ||
		errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, nats.ErrDisconnected)
}
