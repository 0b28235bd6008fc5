package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// version prints what the binary was built from, as runtime/debug knows
// it: the module version ("(devel)" for a build from a work tree), the VCS
// revision and time, whether the tree had uncommitted changes, and Go's
// version.
func version(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "authtrail version: unexpected argument %q\n", strings.Join(args, " "))
		return 2
	}
	fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
	return 0
}

func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok {
		return "authtrail (unknown version: built without module information)"
	}
	line := "authtrail " + info.Main.Version
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		line += " " + rev
		if settings["vcs.modified"] == "true" {
			line += " (modified)"
		}
		if at := settings["vcs.time"]; at != "" {
			line += " " + at
		}
	}
	return line + " " + info.GoVersion
}
