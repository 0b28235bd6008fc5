package experience

import (
	"context"

	"github.com/authtrail/authtrail/api/command"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/throttle"
)

// Limits are the per-client limits of the Experience API (config limits.*,
// docs/experience.md, Abuse limits), kept in the shared limiter so every
// process spends from the same buckets. Successes never spend: a NAT or a
// backend signing many users in is not throttled for it.
type Limits struct {
	// FailedAttempts bounds the failed verifications (any method) of one
	// client address; once spent, its verifications answer 429 before any
	// password is hashed.
	FailedAttempts throttle.Rate
	// NewRecipients bounds the code sends of one client address to
	// recipients it has not verified a code of (SMS pumping).
	NewRecipients throttle.Rate
}

// refuseFailingClient refuses a verification from a client whose failed
// verifications used up Limits.FailedAttempts. A limiter outage lets the
// request through, logged: the sentinel still guards every identifier.
func (h *Handler) refuseFailingClient(ctx context.Context, s *Step) error {
	if h.limiter == nil || !h.cfg.Limits.FailedAttempts.Enabled() {
		return nil
	}
	d, err := h.limiter.Peek(ctx, throttle.ClientKey("failed", s.client), h.cfg.Limits.FailedAttempts)
	if err != nil {
		h.log.WarnContext(ctx, "experience: failed-attempt limit not applied", "err", err)
		return nil
	}
	if !d.Allowed {
		return d.Refusal(domain.E("request.too_many_failed_attempts"))
	}
	return nil
}

// countFailure spends one failed verification of the step's client once
// the refusal has committed.
func (h *Handler) countFailure(ctx context.Context, client string) {
	if h.limiter == nil || !h.cfg.Limits.FailedAttempts.Enabled() {
		return
	}
	command.OnRefusal(ctx, func(ctx context.Context) {
		if _, err := h.limiter.Take(ctx, throttle.ClientKey("failed", client), h.cfg.Limits.FailedAttempts); err != nil {
			h.log.WarnContext(ctx, "experience: failed verification not counted", "err", err)
		}
	})
}

// Spend is one request's take of a limit, made by its first attempt and
// kept by the re-decisions of a conflict, so a request spends once.
type Spend struct {
	done bool
	err  error
}

// SpendNewRecipient spends one send of Limits.NewRecipients for the step's
// client, unless the client has verified a code of recipient (a kind:value
// key) before: 429 request.too_many_new_recipients when none is left.
func (h *Handler) SpendNewRecipient(ctx context.Context, s *Step, sp *Spend, recipient string) error {
	if h.limiter == nil || !h.cfg.Limits.NewRecipients.Enabled() {
		return nil
	}
	if sp.done {
		return sp.err
	}
	known, err := h.limiter.Remembers(ctx, recipientKey(s.client, recipient))
	if err != nil {
		return err
	}
	if !known {
		d, err := h.limiter.Take(ctx, throttle.ClientKey("newrecipient", s.client), h.cfg.Limits.NewRecipients)
		if err != nil {
			return err
		}
		if !d.Allowed {
			sp.err = d.Refusal(domain.E("request.too_many_new_recipients"))
		}
	}
	sp.done = true
	return sp.err
}

// RecipientVerified remembers, once the step's success has committed, that
// its client verified a code of recipient: its sends there are not new.
func (h *Handler) RecipientVerified(ctx context.Context, s *Step, recipient string) {
	if h.limiter == nil || !h.cfg.Limits.NewRecipients.Enabled() {
		return
	}
	key := recipientKey(s.client, recipient)
	command.OnSuccess(ctx, func(ctx context.Context) {
		if err := h.limiter.Remember(ctx, key); err != nil {
			h.log.WarnContext(ctx, "experience: verified recipient not remembered", "err", err)
		}
	})
}

func recipientKey(client, recipient string) string {
	return throttle.Key("verified", throttle.ClientKey("client", client)+"|"+recipient)
}
