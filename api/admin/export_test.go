package admin

// SetTailFrames sets how many recent frames the shared tail keeps, until
// the returned func restores it.
func SetTailFrames(n int) (restore func()) {
	old := tailFrames
	tailFrames = n
	return func() { tailFrames = old }
}
