package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const serveUsage = `usage: authtrail serve [--config FILE] [--http-addr ADDR] [--data-dir DIR] [--nats-url URL]

Runs the server: embedded NATS JetStream in ./data and HTTP on 127.0.0.1:3001
unless the config file, the AUTHTRAIL_* environment variables or these flags
say otherwise (flags > environment > file > defaults; docs/config.md).

flags:
`

// serveFlags are the command line of serve.
type serveFlags struct {
	configPath, httpAddr, dataDir, natsURL string
}

// parseServeFlags reads serve's command line. ok is false when serve must
// stop with code: 0 after --help (usage on stdout), 2 after a mistake (one
// line on stderr).
func parseServeFlags(args []string, stdout, stderr io.Writer) (f serveFlags, code int, ok bool) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // our own messages below
	fs.StringVar(&f.configPath, "config", "", "YAML config file (see config.example.yaml)")
	fs.StringVar(&f.httpAddr, "http-addr", "", "listen address, overrides http.addr")
	fs.StringVar(&f.dataDir, "data-dir", "", "embedded NATS store and generated keys, overrides nats.dataDir")
	fs.StringVar(&f.natsURL, "nats-url", "", "external NATS server(s), overrides nats.url; empty runs the embedded server")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, serveUsage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return f, 0, false
	case err != nil:
		fmt.Fprintf(stderr, "authtrail serve: %v (see authtrail serve --help)\n", err)
		return f, 2, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "authtrail serve: unexpected argument %q: serve takes flags only (see authtrail serve --help)\n", strings.Join(fs.Args(), " "))
		return f, 2, false
	}
	return f, 0, true
}

// config loads the configuration (file, environment) with the flags over
// it, and reports every problem at once: those of values found while
// loading, then Validate's on keys not already reported.
func (f serveFlags) config() (Config, error) {
	cfg, p, err := loadConfig(f.configPath, os.Environ())
	if err != nil {
		return Config{}, err
	}
	override(&cfg.HTTP.Addr, f.httpAddr)
	override(&cfg.NATS.DataDir, f.dataDir)
	override(&cfg.NATS.URL, f.natsURL)
	var invalid ConfigErrors
	if errors.As(cfg.Validate(), &invalid) {
		for _, e := range invalid {
			if e.Key == "" || !p.hasKey(e.Key) {
				p.add(e)
			}
		}
	}
	return cfg, p.err()
}

func override(dst *string, flagValue string) {
	if flagValue != "" {
		*dst = flagValue
	}
}
