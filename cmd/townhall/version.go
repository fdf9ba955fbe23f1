package main

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/web"
)

// version is stamped at build time (make build: -ldflags "-X
// main.version=$(git describe)"); without it, the module's version or
// the VCS revision Go records in the binary stands in.
var version = ""

// buildVersion is the version this binary reports.
func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// buildInfo is townhall_build_info: always 1, its labels say what runs.
func buildInfo(v string) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "townhall_build_info",
		Help: "Always 1: the labels say the version, the protocol and the Go that built it.",
	}, []string{"version", "protocol", "goversion"})
	g.WithLabelValues(v, web.ProtocolVersion, runtime.Version()).Set(1)
	return g
}
