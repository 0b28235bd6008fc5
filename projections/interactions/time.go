package interactions

import "time"

// Time is a time as the audit shows it: RFC 3339 in UTC with exactly three
// decimals (docs/audit.md, Conventions).
type Time struct{ time.Time }

// At wraps t.
func At(t time.Time) Time { return Time{t} }

const layout = "2006-01-02T15:04:05.000Z07:00"

func (t Time) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format(layout) + `"`), nil
}

func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	parsed, err := time.Parse(`"`+time.RFC3339Nano+`"`, string(b))
	t.Time = parsed
	return err
}
