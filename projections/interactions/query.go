package interactions

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/projections"
)

// Filter selects summaries; zero fields select everything (docs/audit.md,
// Interaction summary). Times are on startedAt, both ends inclusive.
type Filter struct {
	UserID           string
	Status           string // StatusActive, StatusSubmitted or StatusExpired
	InteractionEvent string
	Identifier       string
	Failed           *bool
	From, To         *time.Time
}

// Page asks for at most Limit summaries after Cursor (from a previous
// page's Next).
type Page struct {
	Limit  int
	Cursor string
}

// ErrBadCursor is the error of a cursor this model did not hand out.
var ErrBadCursor = errors.New("interactions: malformed cursor")

// ErrNotFound is the error of an interaction the model does not hold.
var ErrNotFound = errors.New("interactions: no such interaction")

// Model reads the live version of the read model.
type Model struct {
	Host *projections.Host
	// Now tells which active interactions have expired.
	Now func() time.Time
}

// List returns a page of summaries, newest first by startedAt, the cursor
// of the next page ("" after the last) and the read model's checkpoint.
func (m Model) List(ctx context.Context, f Filter, p Page) (items []Summary, next string, lastSeq uint64, err error) {
	where, args := []string{"1 = 1"}, []any{}
	add := func(cond string, vals ...any) { where, args = append(where, cond), append(args, vals...) }
	now := millis(m.Now())
	if f.UserID != "" {
		add("user_id = ?", f.UserID)
	}
	switch f.Status {
	case "":
	case StatusSubmitted:
		add("ended_at IS NOT NULL")
	case StatusExpired:
		add("ended_at IS NULL AND expires_at <= ?", now)
	case StatusActive:
		add("ended_at IS NULL AND expires_at > ?", now)
	default:
		return nil, "", 0, fmt.Errorf("interactions: unknown status %q", f.Status)
	}
	if f.InteractionEvent != "" {
		add("interaction_event = ?", f.InteractionEvent)
	}
	if f.Identifier != "" {
		add("identifier_value = ?", f.Identifier)
	}
	if f.Failed != nil {
		add("failed = ?", *f.Failed)
	}
	if f.From != nil {
		add("started_at >= ?", millis(*f.From))
	}
	if f.To != nil {
		add("started_at <= ?", millis(*f.To))
	}
	if p.Cursor != "" {
		at, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return nil, "", 0, err
		}
		add("(started_at < ? OR (started_at = ? AND id < ?))", at, at, id)
	}
	err = m.Host.Read(Name, func(db *sql.DB, t projections.Tables, seq uint64) error {
		lastSeq = seq
		query := `SELECT ` + columns + ` FROM ` + t.Table("summary") + ` WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY started_at DESC, id DESC LIMIT ?`
		rows, err := db.QueryContext(ctx, query, append(args, p.Limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Summary
			var failureRequest string
			if err := scanSummary(rows, &s, &failureRequest); err != nil {
				return err
			}
			s.Status = s.StatusAt(m.Now())
			items = append(items, s)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", 0, fmt.Errorf("interactions: list: %w", err)
	}
	if len(items) > p.Limit {
		items = items[:p.Limit]
		last := items[len(items)-1]
		next = encodeCursor(millis(last.StartedAt.Time), last.ID)
	}
	if items == nil {
		items = []Summary{}
	}
	return items, next, lastSeq, nil
}

// Get returns one summary and the read model's checkpoint.
func (m Model) Get(ctx context.Context, id string) (s Summary, lastSeq uint64, err error) {
	err = m.Host.Read(Name, func(db *sql.DB, t projections.Tables, seq uint64) error {
		lastSeq = seq
		var failureRequest string
		return scanSummary(db.QueryRowContext(ctx, `SELECT `+columns+` FROM `+t.Table("summary")+` WHERE id = ?`, id), &s, &failureRequest)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Summary{}, lastSeq, ErrNotFound
	}
	if err != nil {
		return Summary{}, lastSeq, fmt.Errorf("interactions: get %s: %w", id, err)
	}
	s.Status = s.StatusAt(m.Now())
	return s, lastSeq, nil
}

// WaitFor waits until the read model has processed the log up to seq.
func (m Model) WaitFor(ctx context.Context, seq uint64) error { return m.Host.WaitFor(ctx, Name, seq) }

type scanner interface{ Scan(dest ...any) error }

func scanSummary(row scanner, s *Summary, failureRequest *string) error {
	var userID, idType, idValue sql.NullString
	var started, updated, expires int64
	var ended sql.NullInt64
	var verifications, failures string
	var failed bool
	if err := row.Scan(&s.ID, &s.InteractionEvent, &userID, &started, &updated, &ended, &expires, &s.IP, &s.UserAgent,
		&idType, &idValue, &verifications, &failures, &failed, failureRequest, &s.EventCount, &s.LastSeq); err != nil {
		return err
	}
	if userID.Valid {
		s.UserID = &userID.String
	}
	s.StartedAt, s.UpdatedAt, s.ExpiresAt = At(fromMillis(started)), At(fromMillis(updated)), fromMillis(expires)
	if ended.Valid {
		at := At(fromMillis(ended.Int64))
		s.EndedAt = &at
	}
	if idType.Valid {
		s.Identifier = &interaction.Identifier{Type: idType.String, Value: idValue.String}
	}
	if err := json.Unmarshal([]byte(verifications), &s.Verifications); err != nil {
		return fmt.Errorf("%w: verifications of %s: %v", projections.ErrPermanent, s.ID, err)
	}
	var stored []storedFailure
	if err := json.Unmarshal([]byte(failures), &stored); err != nil {
		return fmt.Errorf("%w: failures of %s: %v", projections.ErrPermanent, s.ID, err)
	}
	s.Failures = make([]Failure, len(stored))
	for i, f := range stored {
		s.Failures[i] = Failure{Seq: f.Seq, At: At(fromMillis(f.At)), Code: f.Code, correlationID: f.CorrelationID}
	}
	return nil
}

// Times are kept as Unix milliseconds, the precision the API shows.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func millisPtr(t *Time) *int64 {
	if t == nil {
		return nil
	}
	ms := millis(t.Time)
	return &ms
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// A cursor is the position of the last summary of a page: its startedAt
// and id, opaque to clients.
func encodeCursor(startedAt int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(startedAt, 10) + ":" + id))
}

func decodeCursor(cursor string) (int64, string, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, "", ErrBadCursor
	}
	at, id, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", ErrBadCursor
	}
	return n, id, nil
}
