package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/townhall/townhall/eventlog"
)

// The control socket: a running server with the embedded store listens on
// a unix socket in its data folder, so that "townhall backup" can ask it
// for a copy (the server holds bbolt's file lock; no other process may
// open the file meanwhile). Mode 0600: only the server's user may use it.
const controlSocket = "control.sock"

func controlPath(dir string) string { return filepath.Join(dir, controlSocket) }

// serveControl serves the control socket until ctx ends; the returned
// function stops it and waits.
func serveControl(ctx context.Context, dir string, store *eventlog.Embedded, log *slog.Logger) (func(), error) {
	path := controlPath(dir)
	// A socket left by a server that was killed: nothing listens on it.
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("another server uses %s", dir)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := store.Backup(w)
		if err != nil {
			log.Error("backup", "err", err)
			return
		}
		log.Info("audit: backup written", "bytes", n)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	return func() {
		srv.Close()
		<-done
		os.Remove(path)
	}, nil
}

// backup is "townhall backup [--data DIR] FILE": a consistent copy of the
// embedded store, from the running server through its control socket, or
// from the file itself when no server runs.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townhall backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := "./data"
	if v := getenv(envData); v != "" {
		def = v
	}
	dir := fs.String("data", def, "the embedded store's folder (env "+envData+")")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: townhall backup [--data DIR] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	out := fs.Arg(0)
	tmp := out + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		fmt.Fprintln(stderr, "townhall backup:", err)
		return 1
	}
	n, how, err := copyStore(ctx, *dir, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, out)
	}
	if err != nil {
		os.Remove(tmp)
		fmt.Fprintln(stderr, "townhall backup:", err)
		return 1
	}
	fmt.Fprintf(stdout, "townhall backup: %d bytes to %s (%s)\n", n, out, how)
	return 0
}

func copyStore(ctx context.Context, dir string, w io.Writer) (int64, string, error) {
	path := controlPath(dir)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://control/backup", nil)
	res, err := client.Do(req)
	if err != nil {
		// No server runs on dir: the file is ours to read.
		n, err := eventlog.BackupFile(dir, w, 5*time.Second)
		return n, "from the store file; no server runs on " + dir, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("the server answered %s", res.Status)
	}
	n, err := io.Copy(w, res.Body)
	if err == nil && n == 0 {
		err = errors.New("the server sent an empty copy")
	}
	return n, "from the running server", err
}
