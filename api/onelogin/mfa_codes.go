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
// throttling), then appends in tx the
// code request (a keyed hash to check, the code sealed for the worker), the
// counted send and the delivery request: the delivery worker sends it once
// the transaction is committed. pending keeps the drawn code across retries.
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
	counted, err := mfaapi.DecideSend(history, m.d.Clock.Now())
	if err != nil {
		return err
	}
	c, err := codekeys.Draw(pending, m.d.Random, domain.RandomIDs{Rand: m.d.Random}.NewID)
	if err != nil {
		return err
	}
	if err := m.d.CodeKeys.Seal(ctx, c, m.d.Random); err != nil {
		return err
	}
	tx.Append(s.subject, &mfaapi.CodeRequested{SendID: c.SendID, Channel: s.channel, To: s.to, Template: s.template,
		Digest: m.d.Codes.Hash(mfaapi.CodeBinding(s.id), c.Plain), SealedCode: c.Sealed, ExpiresAt: s.expiresAt,
		CustomMessage: s.customMessage})
	tx.Append(limit, counted...)
	tx.Append(eventstore.MustSubject(code.DeliveryAggregateType, c.SendID),
		&code.DeliveryRequested{SendID: c.SendID, Subject: s.subject})
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
