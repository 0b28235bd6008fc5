package logging

import (
	"context"
	"log/slog"
)

// CorrelationKey is the attribute a correlated line carries.
const CorrelationKey = "correlationId"

type correlationKey struct{}

// WithCorrelationID returns ctx carrying id, which every line logged with
// it (slog's *Context methods) then carries.
func WithCorrelationID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, correlationKey{}, id)
}

// CorrelationID is the id ctx carries, or "".
func CorrelationID(ctx context.Context) string {
	id, _ := ctx.Value(correlationKey{}).(string)
	return id
}

// correlated adds the context's correlation id to each record, so request
// handlers need not pass it to every log call.
type correlated struct{ slog.Handler }

func (h correlated) Handle(ctx context.Context, r slog.Record) error {
	if id := CorrelationID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(CorrelationKey, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h correlated) WithAttrs(attrs []slog.Attr) slog.Handler {
	return correlated{h.Handler.WithAttrs(attrs)}
}

func (h correlated) WithGroup(name string) slog.Handler {
	return correlated{h.Handler.WithGroup(name)}
}
