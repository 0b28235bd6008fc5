package workers

import (
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/authtrail/authtrail/metrics"
)

// countOutcome counts each message a handler finished: it sits inside the
// poison queue and outside the retries, so it sees a message once, either
// handled or failed after every retry (on its way to the poison queue).
func countOutcome(worker string, m *metrics.Metrics) message.HandlerMiddleware {
	return func(h message.HandlerFunc) message.HandlerFunc {
		return func(msg *message.Message) ([]*message.Message, error) {
			produced, err := h(msg)
			outcome := metrics.OutcomeOK
			if err != nil {
				outcome = metrics.OutcomeFailed
			}
			m.WorkerMessage(worker, outcome)
			return produced, err
		}
	}
}
