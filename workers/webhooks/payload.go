package webhooks

import (
	"context"
	"errors"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/domain/sentinel"
	"github.com/authtrail/authtrail/domain/user"
	"github.com/authtrail/authtrail/domain/webhook"
	"github.com/authtrail/authtrail/eventstore"
)

// userInfo is Logto's user info of hook payloads, without secrets.
type userInfo struct {
	ID           string         `json:"id"`
	Username     *string        `json:"username"`
	PrimaryEmail *string        `json:"primaryEmail"`
	PrimaryPhone *string        `json:"primaryPhone"`
	Name         *string        `json:"name"`
	Avatar       *string        `json:"avatar"`
	CustomData   map[string]any `json:"customData"`
	Identities   map[string]any `json:"identities"`
	Profile      map[string]any `json:"profile"`
	CreatedAt    int64          `json:"createdAt"`
	IsSuspended  bool           `json:"isSuspended"`
}

func infoOf(u user.State) userInfo {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	orEmpty := func(m map[string]any) map[string]any {
		if m == nil {
			return map[string]any{}
		}
		return m
	}
	return userInfo{ID: u.ID, Username: opt(u.Username), PrimaryEmail: opt(u.PrimaryEmail), PrimaryPhone: opt(u.PrimaryPhone),
		Name: opt(u.Name), Avatar: opt(u.Avatar), CustomData: orEmpty(u.CustomData), Identities: map[string]any{},
		Profile: orEmpty(u.Profile), CreatedAt: u.CreatedAt.UnixMilli(), IsSuspended: u.Suspended}
}

// payload builds the body of a hook event (experience spec §5.1, §5.2):
// the interaction hooks carry the session, client and user; the data hooks
// the user as data; Identifier.Lockout the identifier's type and value.
func (w *Worker) payload(ctx context.Context, hookID, event string, env eventstore.Envelope, ev domain.Event) (map[string]any, error) {
	p := map[string]any{"hookId": hookID, "event": event, "createdAt": env.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00")}
	interactionID := ""
	switch e := ev.(type) {
	case *interaction.Submitted:
		interactionID = env.AggID
		u, err := w.user(ctx, e.UserID)
		if err != nil {
			return nil, err
		}
		p["userId"], p["user"] = e.UserID, infoOf(u)
	case *user.Registered:
		interactionID = e.InteractionID
		u, err := w.user(ctx, env.AggID)
		if err != nil {
			return nil, err
		}
		p["data"] = infoOf(u)
	case *sentinel.Locked:
		if e.Identifier != nil {
			p["type"], p["value"] = e.Identifier.Type, e.Identifier.Value
		}
	default:
		if env.AggType == user.AggregateType {
			u, err := w.user(ctx, env.AggID)
			if err != nil {
				return nil, err
			}
			p["data"] = infoOf(u)
		}
	}
	if interactionID != "" {
		st, client, err := w.interaction(ctx, interactionID)
		if err != nil {
			return nil, err
		}
		p["sessionId"], p["interactionEvent"] = interactionID, st.Event
		if event == webhook.PostSignIn || event == webhook.PostRegister || event == webhook.PostResetPassword {
			p["userAgent"], p["userIp"] = client.UserAgent, client.IP
		} else {
			p["userAgent"], p["ip"] = client.UserAgent, client.IP
		}
	}
	return p, nil
}

// user folds a user from the log.
func (w *Worker) user(ctx context.Context, id string) (user.State, error) {
	envs, _, err := w.o.Store.Load(ctx, eventstore.MustSubject(user.AggregateType, id))
	if err != nil {
		return user.State{}, err
	}
	events, err := eventstore.Decode(envs, user.Events)
	return user.Fold(events), err
}

// interaction folds an interaction and finds who started it.
func (w *Worker) interaction(ctx context.Context, id string) (interaction.State, interaction.Client, error) {
	subject, err := eventstore.Subject(interaction.AggregateType, id)
	if err != nil {
		return interaction.State{}, interaction.Client{}, errors.New("webhooks: bad interaction id")
	}
	envs, _, err := w.o.Store.Load(ctx, subject)
	if err != nil {
		return interaction.State{}, interaction.Client{}, err
	}
	events, err := eventstore.Decode(envs, w.o.Catalogue[interaction.AggregateType])
	if err != nil {
		return interaction.State{}, interaction.Client{}, err
	}
	var client interaction.Client
	for _, ev := range events {
		if s, ok := ev.(*interaction.Started); ok {
			client = s.Client
		}
	}
	return interaction.Fold(events), client, nil
}
