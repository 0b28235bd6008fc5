package eventstore

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// recentEvents is how close to the newest event of the stream a cached
// aggregate's last event must be for a load to read that event directly.
// The server keeps the blocks being written in memory, so a direct read
// of a recent event is the cheapest check. An older event sits in a block
// the server reads from disk for one lookup and drops again: it loads,
// and decompresses, the whole block (megabytes) to answer with one
// message, which made every sign-in of a user registered a while ago pay
// milliseconds of CPU for the user's claims and events alone.
const recentEvents = 4096

// notePosition records that the stream holds an event at seq.
func (s *Store) notePosition(seq uint64) {
	for {
		head := s.head.Load()
		if seq <= head || s.head.CompareAndSwap(head, seq) {
			return
		}
	}
}

// unchanged reports whether subject still ends with the event at seq, its
// version-th: whether a cached aggregate is current. For an aggregate
// whose last event is older than the recent ones it asks the stream's
// subject index how many events subject holds, which reads no message: as
// the stream denies deletes and purges, a subject whose count is the
// cached version has had nothing appended since. false whenever that
// cannot be told cheaply; the caller then reads the last event.
func (s *Store) unchanged(ctx context.Context, subject string, seq, version uint64) bool {
	if version == 0 || s.head.Load() < seq+s.recent || s.created.IsZero() {
		return false
	}
	// One try: a stream without a leader for now is read the usual way,
	// which waits for the election.
	ctx, cancel := context.WithTimeout(ctx, readTry)
	defer cancel()
	info, err := s.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		return false
	}
	// A recreated stream restarts its counts under the same names.
	return info.Created.Equal(s.created) && info.State.Subjects[subject] == version
}

// createdAt is when the stream was created, as its cached info tells.
func createdAt(stream jetstream.Stream) time.Time {
	if info := stream.CachedInfo(); info != nil {
		return info.Created
	}
	return time.Time{}
}
