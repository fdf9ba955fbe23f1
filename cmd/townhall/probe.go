package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// probe is "townhall probe URL": a container health check for an image
// that has no shell, curl or wget. It exits 0 when URL answers 200 within
// 3 s, 1 otherwise, and 2 when the URL is not an http one.
func probe(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "townhall probe: want one URL, as in: townhall probe http://127.0.0.1:8080/readyz")
		return 2
	}
	u, err := url.Parse(args[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(stderr, "townhall probe: %q is not an http(s) URL\n", args[0])
		return 2
	}
	c := &http.Client{Timeout: 3 * time.Second}
	res, err := c.Get(u.String())
	if err != nil {
		fmt.Fprintln(stderr, "townhall probe:", err)
		return 1
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1024))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "townhall probe: %s: %s %s", u.Redacted(), res.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s", body)
	return 0
}
