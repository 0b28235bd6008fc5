package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Rebuild starts building a new version of a projection from the first
// event, beside the live one, which keeps serving. Once the new version has
// caught up with the log, readers switch to it and the old one is removed
// (docs/audit.md, Rebuild). A rebuild already under way is not started
// again: its version is returned.
func (h *Host) Rebuild(ctx context.Context, name string) (version int, err error) {
	e, err := h.entry(name)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.ctx.Err() != nil {
		return 0, errors.New("projections: stopped")
	}
	if e.building != nil {
		return e.building.t.Version, nil
	}
	rows, err := h.db.versions(ctx, name)
	if err != nil {
		return 0, err
	}
	next := 1
	for _, v := range rows {
		next = max(next, v.Version+1)
	}
	if err := h.db.createVersion(ctx, e.p, next, "building"); err != nil {
		return 0, fmt.Errorf("projections: %s: new version %d: %w", name, next, err)
	}
	h.log.Info("rebuilding a projection", "projection", name, "version", next)
	h.startBuilding(e, newRun(h, e.p, next, 0))
	return next, nil
}

// startBuilding runs r beside the live version until it catches up.
// Called with h.mu held, or before the host is shared.
func (h *Host) startBuilding(e *entry, r *run) {
	e.building = r
	var once sync.Once
	r.caughtUp = func() {
		once.Do(func() { go h.cutOver(e, r) })
	}
	r.start(h.ctx)
}

// cutOver makes r, caught up with the log, the live version: the old live
// version stops, r passes its checkpoint, readers switch in one step and
// the old version's tables go.
func (h *Host) cutOver(e *entry, r *run) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.building != r || h.ctx.Err() != nil {
		return
	}
	old := e.live
	old.stop()
	// Readers must never see the log go backwards across the switch.
	for r.checkpoint.Load() < old.checkpoint.Load() {
		changed := r.changed()
		if r.checkpoint.Load() >= old.checkpoint.Load() {
			break
		}
		select {
		case <-h.ctx.Done():
			return
		case <-changed:
		}
		if halted, _ := r.state(); halted {
			h.log.Error("the rebuilt version halted before the cut-over; readers stay on the old version",
				"projection", e.p.Name(), "version", r.t.Version)
			old.restart(h.ctx)
			return
		}
	}
	if err := h.setLive(h.ctx, e.p.Name(), r.t.Version, old.t.Version); err != nil {
		h.log.Error("cut-over failed; readers stay on the old version", "projection", e.p.Name(), "err", err)
		old.restart(h.ctx)
		return
	}
	r.caughtUp = nil
	e.readers.Lock()
	e.live, e.building = r, nil
	// Tables of a version without a row are dropped at the next start if
	// this fails.
	dropErr := h.db.inTx(h.ctx, func(tx *sql.Tx) error {
		return dropTables(h.ctx, tx, func(table string) bool { return hasPrefix(table, old.t.prefix()) })
	})
	e.readers.Unlock()
	if dropErr != nil {
		h.log.Warn("dropping the old version's tables failed; the next start drops them", "projection", e.p.Name(), "err", dropErr)
	}
	if err := h.js.DeleteConsumer(h.ctx, h.stream, old.t.consumer(h.db.instance)); err != nil {
		h.log.Warn("deleting the old version's consumer failed; it expires when idle", "err", err)
	}
	h.log.Info("readers switched to the rebuilt projection", "projection", e.p.Name(), "version", r.t.Version,
		"checkpoint", r.checkpoint.Load())
}

// restart runs a stopped run again.
func (r *run) restart(ctx context.Context) {
	r.done = make(chan struct{})
	r.start(ctx)
}

// setLive makes version live in one transaction, removing the row of
// version old (0: none).
func (h *Host) setLive(ctx context.Context, name string, version, old int) error {
	return h.db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE projection_versions SET state = 'live' WHERE name = ? AND version = ?`, name, version); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM projection_versions WHERE name = ? AND version = ?`, name, old)
		return err
	})
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// Status is a projection as GET /api/admin/projections shows it.
type Status struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
	// State is running, rebuilding (the live version runs while another
	// is built) or halted (the live version stopped at an event).
	State     string  `json:"status"`
	LastSeq   uint64  `json:"lastSeq"`
	StreamSeq uint64  `json:"streamSeq"`
	Lag       uint64  `json:"lag"`
	LastError *string `json:"lastError"`
	// Rebuild is the version being built, while there is one.
	Rebuild *RebuildStatus `json:"rebuild,omitempty"`
}

// RebuildStatus is the progress of a version being built.
type RebuildStatus struct {
	Version   int     `json:"version"`
	Status    string  `json:"status"` // running | halted
	LastSeq   uint64  `json:"lastSeq"`
	LastError *string `json:"lastError"`
}

// Statuses reports every projection, by name.
func (h *Host) Statuses(ctx context.Context) ([]Status, error) {
	streamSeq, err := h.streamSeq(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(h.names))
	for _, name := range h.names {
		out = append(out, h.status(name, streamSeq))
	}
	return out, nil
}

// StatusOf reports one projection.
func (h *Host) StatusOf(ctx context.Context, name string) (Status, error) {
	if _, err := h.entry(name); err != nil {
		return Status{}, err
	}
	streamSeq, err := h.streamSeq(ctx)
	if err != nil {
		return Status{}, err
	}
	return h.status(name, streamSeq), nil
}

func (h *Host) status(name string, streamSeq uint64) Status {
	e := h.entries[name]
	h.mu.Lock()
	live, building := e.live, e.building
	h.mu.Unlock()
	halted, lastErr := live.state()
	st := Status{Name: name, Version: live.t.Version, State: "running", LastSeq: live.checkpoint.Load(), LastError: errText(lastErr)}
	st.StreamSeq = max(streamSeq, st.LastSeq)
	st.Lag = st.StreamSeq - st.LastSeq
	switch {
	case halted:
		st.State = "halted"
	case building != nil:
		st.State = "rebuilding"
	}
	if building != nil {
		bHalted, bErr := building.state()
		rs := &RebuildStatus{Version: building.t.Version, Status: "running", LastSeq: building.checkpoint.Load(), LastError: errText(bErr)}
		if bHalted {
			rs.Status = "halted"
		}
		st.Rebuild = rs
	}
	return st
}

func errText(err error) *string {
	if err == nil {
		return nil
	}
	s := err.Error()
	return &s
}
