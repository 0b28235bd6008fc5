package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/schollz/progressbar/v3"

	"github.com/authtrail/authtrail/api"
	"github.com/authtrail/authtrail/api/admin"
	"github.com/authtrail/authtrail/domain"
	"github.com/authtrail/authtrail/domain/interaction"
	"github.com/authtrail/authtrail/projections"
)

const projectionsUsage = `usage: authtrail projections status [flags]
       authtrail projections rebuild NAME [flags]
`

// pollEvery is how often a rebuild's progress is read.
const pollEvery = 250 * time.Millisecond

// projectionsCmd prints the read models' status or rebuilds one beside the
// live version (docs/audit.md, Rebuild).
func projectionsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "status" && args[0] != "rebuild") {
		fmt.Fprint(stderr, projectionsUsage)
		return 2
	}
	verb := args[0]
	fs := flag.NewFlagSet("projections "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	src := addSourceFlags(fs)
	name, rest := splitFirstArg(args[1:])
	if err := fs.Parse(rest); err != nil {
		return helpOr2(err)
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if verb == "rebuild" && name == "" {
		fmt.Fprint(stderr, projectionsUsage)
		return 2
	}
	host, closeHost, err := openProjections(ctx, src, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "authtrail projections:", err)
		return 1
	}
	defer closeHost()
	if verb == "status" {
		err = printStatus(ctx, host, stdout)
	} else {
		err = rebuild(ctx, host, name, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "authtrail projections:", err)
		return 1
	}
	return 0
}

// projectionHost is a server's projections: asked over NATS when it runs,
// run here on its data directory when it does not.
type projectionHost interface {
	statuses(ctx context.Context) ([]projections.Status, error)
	rebuild(ctx context.Context, name string) (int, error)
}

func openProjections(ctx context.Context, f sourceFlags, stderr io.Writer) (projectionHost, func(), error) {
	source, err := openSource(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	if source.remote() {
		return natsProjections{source.nc}, source.Close, nil
	}
	rm, err := api.StartReadModels(ctx, source.store, filepath.Join(source.dataDir, projections.FileName),
		api.BuiltinCatalogue()[interaction.AggregateType], domain.SystemClock{}, quietLog(stderr))
	if err != nil {
		source.Close()
		return nil, nil, err
	}
	return localProjections{rm.Host}, func() { rm.Stop(); source.Close() }, nil
}

type localProjections struct{ h *projections.Host }

func (l localProjections) statuses(ctx context.Context) ([]projections.Status, error) {
	return l.h.Statuses(ctx)
}

func (l localProjections) rebuild(ctx context.Context, name string) (int, error) {
	v, err := l.h.Rebuild(ctx, name)
	if errors.Is(err, projections.ErrUnknown) {
		return 0, fmt.Errorf("no projection named %q (have %s)", name, strings.Join(l.h.Names(), ", "))
	}
	return v, err
}

type natsProjections struct{ nc *nats.Conn }

func (n natsProjections) request(ctx context.Context, subject string, body, out any) error {
	data, _ := json.Marshal(body)
	msg, err := n.nc.RequestWithContext(ctx, subject, data)
	if errors.Is(err, nats.ErrNoResponders) {
		return errors.New("the server does not answer admin requests (is it running with this NATS?)")
	}
	if err != nil {
		return fmt.Errorf("%s: %w (is --nats-user a nats.users entry with role audit?)", subject, err)
	}
	if desc := msg.Header.Get(micro.ErrorHeader); desc != "" {
		return errors.New(desc)
	}
	return json.Unmarshal(msg.Data, out)
}

func (n natsProjections) statuses(ctx context.Context) ([]projections.Status, error) {
	var st []projections.Status
	err := n.request(ctx, admin.StatusSubject, nil, &st)
	return st, err
}

func (n natsProjections) rebuild(ctx context.Context, name string) (int, error) {
	var r admin.RebuildReply
	err := n.request(ctx, admin.RebuildSubject, admin.RebuildRequest{Name: name}, &r)
	return r.Version, err
}

// printStatus prints the status table of GET /api/admin/projections.
func printStatus(ctx context.Context, h projectionHost, w io.Writer) error {
	st, err := h.statuses(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tSTATUS\tLAST SEQ\tSTREAM SEQ\tLAG\tLAST ERROR")
	for _, s := range st {
		status := s.State
		if s.Rebuild != nil {
			status += fmt.Sprintf(" (v%d at %d)", s.Rebuild.Version, s.Rebuild.LastSeq)
		}
		lastErr := "-"
		if s.LastError != nil {
			lastErr = *s.LastError
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%s\n", s.Name, s.Version, status, s.LastSeq, s.StreamSeq, s.Lag, lastErr)
	}
	return tw.Flush()
}

// rebuild starts a rebuild and follows it until readers have switched:
// a progress bar on a terminal, plain lines otherwise.
func rebuild(ctx context.Context, h projectionHost, name string, w io.Writer) error {
	version, err := h.rebuild(ctx, name)
	if err != nil {
		return err
	}
	p := newProgress(w, name, version)
	for {
		st, err := h.statuses(ctx)
		if err != nil {
			return err
		}
		s, ok := find(st, name)
		switch {
		case !ok:
			return fmt.Errorf("no projection named %q", name)
		case s.Version >= version && s.Rebuild == nil:
			p.done(s)
			return nil
		case s.Rebuild != nil && s.Rebuild.Status == "halted":
			return fmt.Errorf("the rebuild of %s v%d halted: %s", name, version, deref(s.Rebuild.LastError))
		case s.Rebuild != nil:
			p.update(s.Rebuild.LastSeq, s.StreamSeq)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted; the rebuild goes on in the server (or at the next start): %w", ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}

func find(st []projections.Status, name string) (projections.Status, bool) {
	for _, s := range st {
		if s.Name == name {
			return s, true
		}
	}
	return projections.Status{}, false
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// progress shows a rebuild's events done, rate and ETA.
type progress struct {
	w       io.Writer
	name    string
	version int
	bar     *progressbar.ProgressBar
	last    time.Time
	start   time.Time
}

func newProgress(w io.Writer, name string, version int) *progress {
	p := &progress{w: w, name: name, version: version, start: time.Now()}
	if isTerminal(w) {
		p.bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(w), progressbar.OptionShowCount(),
			progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"),
			progressbar.OptionSetDescription(fmt.Sprintf("rebuilding %s v%d", name, version)),
			progressbar.OptionSetPredictTime(true), progressbar.OptionFullWidth())
	} else {
		fmt.Fprintf(w, "rebuilding %s v%d beside the live version\n", name, version)
	}
	return p
}

func (p *progress) update(done, total uint64) {
	if p.bar != nil {
		p.bar.ChangeMax64(int64(total))
		_ = p.bar.Set64(int64(done))
		return
	}
	if time.Since(p.last) < time.Second {
		return
	}
	p.last = time.Now()
	rate := float64(done) / time.Since(p.start).Seconds()
	fmt.Fprintf(p.w, "%s v%d: %d/%d events (%.0f%%), %.0f events/s\n", p.name, p.version, done, total, percent(done, total), rate)
}

func (p *progress) done(s projections.Status) {
	if p.bar != nil {
		p.bar.ChangeMax64(int64(s.StreamSeq))
		_ = p.bar.Set64(int64(s.StreamSeq))
		_ = p.bar.Finish()
		fmt.Fprintln(p.w)
	}
	fmt.Fprintf(p.w, "%s v%d is live at event %d; readers switched (%.1fs)\n", s.Name, s.Version, s.LastSeq, time.Since(p.start).Seconds())
}

func percent(done, total uint64) float64 {
	if total == 0 {
		return 100
	}
	return 100 * float64(done) / float64(total)
}

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
