// Package interactions projects every interaction into a summary for the
// admin API: who, from where, what was verified, what was refused, and how
// it ended (docs/audit.md, Interaction summary). Each summary is drawn
// from the interaction's own state, folded by the live API's fold.
package interactions

import (
	"container/list"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/eventstore"
	"github.com/authtrail/authtrail/projections"
)

// Name names the projection; Shape is bumped when its tables change.
const (
	Name  = "interactions"
	Shape = 2 // 2: a rowid table (was WITHOUT ROWID)
)

// cacheSize bounds the folded interactions kept between batches, per
// version. A miss costs a read of the interaction's events from the log;
// an interaction's events come within minutes, and each entry is about a
// kilobyte of live heap the collector marks.
const cacheSize = 5000

// Loader reads an interaction's events from the log, oldest first.
type Loader func(ctx context.Context, subject string) ([]eventstore.Envelope, error)

// Projection maintains the interactions read model. It implements
// projections.Projection.
type Projection struct {
	events domain.Registry
	load   Loader

	mu     sync.Mutex
	caches map[int]*cache // by version: a rebuild runs beside the live one
}

// New returns the projection; events decodes the interaction's events
// (those of every registered method), load reads the log on a cache miss.
func New(events domain.Registry, load Loader) *Projection {
	return &Projection{events: events, load: load, caches: map[int]*cache{}}
}

func (*Projection) Name() string { return Name }
func (*Projection) Shape() int   { return Shape }

// Create makes the summary table. It keeps rowids: interaction ids are
// random, and a table clustered on them (WITHOUT ROWID) puts every insert
// of a rebuild at a random place in the B-tree, rows and all; the rowid
// table appends the rows and only the id's small index takes random
// inserts (a rebuild measured 15-20 % faster).
func (*Projection) Create(ctx context.Context, tx *sql.Tx, t projections.Tables) error {
	table := t.Table("summary")
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`
CREATE TABLE %[1]s (
	id                TEXT    PRIMARY KEY,
	interaction_event TEXT    NOT NULL,
	user_id           TEXT,
	started_at        INTEGER NOT NULL,
	updated_at        INTEGER NOT NULL,
	ended_at          INTEGER,
	expires_at        INTEGER NOT NULL,
	ip                TEXT    NOT NULL,
	user_agent        TEXT    NOT NULL,
	identifier_type   TEXT,
	identifier_value  TEXT,
	verifications     TEXT    NOT NULL,
	failures          TEXT    NOT NULL,
	failed            INTEGER NOT NULL,
	failure_request   TEXT    NOT NULL,
	event_count       INTEGER NOT NULL,
	last_seq          INTEGER NOT NULL
);`, table))
	return err
}

// CreateIndexes makes the indexes the list filters use, each ending in the
// list order (projections.Indexer: a rebuild gets them when it has caught
// up).
func (*Projection) CreateIndexes(ctx context.Context, tx *sql.Tx, t projections.Tables) error {
	_, err := tx.ExecContext(ctx, fmt.Sprintf(`
CREATE INDEX IF NOT EXISTS %[1]s_started ON %[1]s (started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS %[1]s_user ON %[1]s (user_id, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS %[1]s_failed ON %[1]s (failed, started_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS %[1]s_identifier ON %[1]s (identifier_value, started_at DESC, id DESC);`, t.Table("summary")))
	return err
}

// Reset forgets a version's folded interactions after a rolled-back batch.
func (p *Projection) Reset(t projections.Tables) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.caches, t.Version)
}

func (p *Projection) cache(version int) *cache {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.caches[version]
	if !ok {
		c = newCache(cacheSize)
		p.caches[version] = c
	}
	return c
}

// Begin starts a batch.
func (p *Projection) Begin(ctx context.Context, tx *sql.Tx, t projections.Tables) (projections.Batch, error) {
	return &batch{p: p, tx: tx, t: t, cache: p.cache(t.Version), touched: map[string]*entry{}}, nil
}

type batch struct {
	p       *Projection
	tx      *sql.Tx
	t       projections.Tables
	cache   *cache
	touched map[string]*entry
}

// Apply folds one interaction event into its summary.
func (b *batch) Apply(ctx context.Context, env eventstore.Envelope) error {
	if env.AggType != interaction.AggregateType {
		return nil
	}
	e, err := b.entry(ctx, env)
	if err != nil {
		return err
	}
	if env.Seq <= e.summary.LastSeq {
		return nil // applied before
	}
	ev, _, err := projections.Decode(b.p.events, env)
	if err != nil {
		return err
	}
	e.apply(env, ev)
	b.touched[env.AggID] = e
	return nil
}

// entry finds the interaction's entry: in the batch, the cache, or its row
// and its events up to the row's last.
func (b *batch) entry(ctx context.Context, env eventstore.Envelope) (*entry, error) {
	if e, ok := b.touched[env.AggID]; ok {
		return e, nil
	}
	if e, ok := b.cache.get(env.AggID); ok {
		return e, nil
	}
	e, err := b.restore(ctx, env)
	if err != nil {
		return nil, err
	}
	b.cache.put(env.AggID, e)
	return e, nil
}

func (b *batch) restore(ctx context.Context, env eventstore.Envelope) (*entry, error) {
	if env.AggVersion == 1 {
		return &entry{}, nil // the interaction's first event: no row yet
	}
	row := b.tx.QueryRowContext(ctx, `SELECT `+columns+` FROM `+b.t.Table("summary")+` WHERE id = ?`, env.AggID)
	e := &entry{}
	if err := scanSummary(row, &e.summary, &e.failureRequest); err == sql.ErrNoRows {
		return e, nil
	} else if err != nil {
		return nil, err
	}
	envs, err := b.p.load(ctx, env.Subject)
	if err != nil {
		return nil, fmt.Errorf("interactions: load %s: %w", env.Subject, err)
	}
	for _, past := range envs {
		if past.Seq > e.summary.LastSeq {
			break
		}
		ev, _, err := projections.Decode(b.p.events, past)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			e.state.Apply(ev)
		}
	}
	return e, nil
}

// Flush writes every summary the batch changed, one prepared statement
// for all (several rows to a statement measured slower).
func (b *batch) Flush(ctx context.Context) error {
	if len(b.touched) == 0 {
		return nil
	}
	stmt, err := b.tx.PrepareContext(ctx, `INSERT OR REPLACE INTO `+b.t.Table("summary")+` (`+columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, e := range b.touched {
		if _, err := stmt.ExecContext(ctx, summaryArgs(e)...); err != nil {
			return fmt.Errorf("interactions: write %s: %w", e.summary.ID, err)
		}
	}
	return nil
}

// columns are the summary table's, in the order of summaryArgs and
// scanSummary.
const columns = `id, interaction_event, user_id, started_at, updated_at, ended_at, expires_at, ip, user_agent,
	identifier_type, identifier_value, verifications, failures, failed, failure_request, event_count, last_seq`

func summaryArgs(e *entry) []any {
	s := e.summary
	var idType, idValue *string
	if s.Identifier != nil {
		idType, idValue = &s.Identifier.Type, &s.Identifier.Value
	}
	verifications, _ := json.Marshal(orEmpty(s.Verifications))
	failures, _ := json.Marshal(storedFailures(s.Failures))
	return []any{s.ID, s.InteractionEvent, s.UserID, millis(s.StartedAt.Time), millis(s.UpdatedAt.Time), millisPtr(s.EndedAt), millis(s.ExpiresAt),
		s.IP, s.UserAgent, idType, idValue, string(verifications), string(failures), len(s.Failures) > 0, e.failureRequest,
		s.EventCount, s.LastSeq}
}

// storedFailure is Failure as the failures column keeps it.
type storedFailure struct {
	Seq           uint64 `json:"seq"`
	At            int64  `json:"at"`
	Code          string `json:"code"`
	CorrelationID string `json:"correlationId,omitempty"`
}

func storedFailures(fs []Failure) []storedFailure {
	out := make([]storedFailure, len(fs))
	for i, f := range fs {
		out[i] = storedFailure{Seq: f.Seq, At: millis(f.At.Time), Code: f.Code, CorrelationID: f.correlationID}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// cache is a least-recently-used set of folded interactions.
type cache struct {
	max   int
	order *list.List // of string ids, most recent first
	items map[string]*list.Element
	vals  map[string]*entry
}

func newCache(max int) *cache {
	return &cache{max: max, order: list.New(), items: map[string]*list.Element{}, vals: map[string]*entry{}}
}

func (c *cache) get(id string) (*entry, bool) {
	el, ok := c.items[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return c.vals[id], true
}

func (c *cache) put(id string, e *entry) {
	if el, ok := c.items[id]; ok {
		c.order.MoveToFront(el)
		c.vals[id] = e
		return
	}
	c.items[id] = c.order.PushFront(id)
	c.vals[id] = e
	for c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.items, oldest.Value.(string))
		delete(c.vals, oldest.Value.(string))
	}
}
