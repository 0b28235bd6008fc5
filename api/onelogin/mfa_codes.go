package onelogin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/code"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/mfaapi"
	"github.com/authtrail/authtrail/eventstore"
)

// mfaCode is a server-sent OTP drawn once per request: a retry of the
// command after a conflict re-decides it, and must neither seal a second
// code nor store a second data key.
type mfaCode struct {
	sendID, plain, sealed string
	stored                bool
}

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

// sendCode throttles the user's channel (spec §6), then appends in tx the
// code request (a keyed hash to check, the code sealed for the worker), the
// counted send and the delivery request: the delivery worker sends it once
// the transaction is committed. pending keeps the drawn code across retries.
func (m *MFAAPI) sendCode(ctx context.Context, tx *eventstore.Tx, s codeSend, pending **mfaCode) error {
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
	if *pending == nil {
		plain, err := code.Generate(m.d.Random)
		if err != nil {
			return err
		}
		*pending = &mfaCode{sendID: domain.RandomIDs{Rand: m.d.Random}.NewID(), plain: plain}
	}
	c := *pending
	if !c.stored {
		key, err := code.NewDataKey(m.d.Random)
		if err != nil {
			return err
		}
		if c.sealed, err = code.Seal(key, c.sendID, c.plain, m.d.Random); err != nil {
			return err
		}
		if err := m.d.CodeKeys.Put(ctx, c.sendID, key); err != nil {
			return err
		}
		c.stored = true
	}
	tx.Append(s.subject, &mfaapi.CodeRequested{SendID: c.sendID, Channel: s.channel, To: s.to, Template: s.template,
		Digest: m.d.Codes.Hash(mfaapi.CodeBinding(s.id), c.plain), SealedCode: c.sealed, ExpiresAt: s.expiresAt,
		CustomMessage: s.customMessage})
	tx.Append(limit, counted...)
	tx.Append(eventstore.MustSubject(interaction.DeliveryAggregateType, c.sendID),
		&interaction.DeliveryRequested{SendID: c.sendID, Subject: s.subject})
	return nil
}

// codeMatches reports whether otp is the code sent for the registration or
// verification id (constant time; a number is zero-padded to 6 digits).
func (m *MFAAPI) codeMatches(sent *mfaapi.CodeRequested, id string, otp mfaapi.OTP) bool {
	return sent != nil && m.d.Codes.Matches(sent.Digest, mfaapi.CodeBinding(id), otp.Padded(mfaapi.CodeDigits))
}

// customMessage reads the optional custom_message of an SMS send (spec
// §2.2): a string that carries {{otp_code}} and fits one SMS once filled.
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
