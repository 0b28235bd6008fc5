//go:build !race

package main

import "time"

// restartBound is the restart time the fault test allows: healthy within
// a second of a restart after kill -9.
const restartBound = time.Second
