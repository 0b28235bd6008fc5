//go:build race

package main

import "time"

// restartBound is the restart time the fault test allows. The race
// detector makes the server several times slower to start (about 0.7 s
// at the median on 2 cores); the 1 s target is for a normal build.
const restartBound = 3 * time.Second
