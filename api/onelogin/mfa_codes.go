package onelogin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/eventstore/codekeys"
)

// codeSend is one code to send for a registration or verification.
type codeSend struct {
	subject   string // the registration's or verification's
	id        string // its id, the hash binding
	userID    string
	channel   string
	to        string
	template  string
	expiresAt time.Time
	// customMessage is the SMS text template, already validated, or "".
	customMessage string
}

// sendCode throttles the user's channel (docs/onelogin-api.md, Code sends and
// throttling), then queues in tx the counted send, the delivery request and
// the code request (a keyed hash to check, the code sealed for the worker):
// three single-subject appends, no atomic batch, in the order of the
// Experience API's sends (docs/architecture.md, Claims). The delivery
// worker sends the code once its request is committed; a delivery request
// whose code request never commits is abandoned. pending keeps the drawn
// code, and the send's id, across retries.
func (m *MFAAPI) sendCode(ctx context.Context, tx *eventstore.Tx, s codeSend, pending **codekeys.Pending) error {
	limit := eventstore.MustSubject(mfaapi.SendAggregate, mfaapi.SendThrottleID(s.userID, s.channel))
	envs, err := tx.Load(ctx, limit)
	if err != nil {
		return err
	}
	history, err := eventstore.Decode(envs, mfaapi.SendEvents)
	if err != nil {
		return err
	}
	// The send's id is drawn first (once per request, like the code): the
	// count carries it.
	c, err := codekeys.Draw(pending, m.d.Random, domain.RandomIDs{Rand: m.d.Random}.NewID)
	if err != nil {
		return err
	}
	counted, err := mfaapi.DecideSend(history, m.d.Clock.Now(), c.SendID)
	if err != nil {
		return err
	}
	if err := m.d.CodeKeys.Seal(ctx, c, m.d.Random); err != nil {
		return err
	}
	tx.Claim(limit, counted...)
	tx.ClaimWithID(eventstore.MustSubject(code.DeliveryAggregateType, c.SendID), code.DeliveryRequestID(c.SendID),
		&code.DeliveryRequested{SendID: c.SendID, Subject: s.subject})
	tx.Append(s.subject, &mfaapi.CodeRequested{SendID: c.SendID, Channel: s.channel, To: s.to, Template: s.template,
		Digest: m.d.Codes.Hash(mfaapi.CodeBinding(s.id), c.Plain), SealedCode: c.Sealed, ExpiresAt: s.expiresAt,
		CustomMessage: s.customMessage})
	return nil
}

// codeMatches reports whether otp is the code sent for the registration or
// verification id (constant time; a number is zero-padded to 6 digits).
func (m *MFAAPI) codeMatches(sent *mfaapi.CodeRequested, id string, otp mfaapi.OTP) bool {
	return sent != nil && m.d.Codes.Matches(sent.Digest, mfaapi.CodeBinding(id), otp.Padded(mfaapi.CodeDigits))
}

// customMessage reads the optional custom_message of an SMS send (docs/onelogin-api.md,
// Registrations): a string that carries {{otp_code}} and fits one SMS once filled.
// It is ignored for other channels; ok is false for an invalid one.
func customMessage(raw json.RawMessage, channel string, expiresIn time.Duration) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" || channel != code.ChannelSMS {
		return "", true
	}
	var tpl string
	if err := json.Unmarshal(raw, &tpl); err != nil {
		return "", false
	}
	if tpl == "" {
		return "", true
	}
	return tpl, code.ValidTemplate(tpl, expiresIn)
}
