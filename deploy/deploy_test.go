// Package deploy checks the deployment files against the real binary: the
// flags and TOWNHALL_* variables they set exist, the probes point at the
// right endpoints, the shutdown budgets add up, the alert rules pass
// promtool, and every metric the dashboard and the rules name is served.
package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.yaml.in/yaml/v3"

	"github.com/townhall/townhall/internal/redistest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "townhall-deploy")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "townhall")
	if out, err := exec.Command("go", "build", "-o", binary, "../cmd/townhall").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building townhall: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli is what the binary's --help says it takes.
type cli struct {
	flags    map[string]string // flag name → its default, as --help prints it
	envs     map[string]string // TOWNHALL_* → flag name
	defaults map[string]string // TOWNHALL_* → the flag's default
}

var (
	helpFlag    = regexp.MustCompile(`^\s+--?([a-z][a-z0-9-]*)`)
	helpEnv     = regexp.MustCompile(`\(env (TOWNHALL_[A-Z0-9_]+)\)`)
	helpDefault = regexp.MustCompile(`\(default "?([^")]*)"?\)`)
)

func binaryCLI(t *testing.T) cli {
	t.Helper()
	out, err := exec.Command(binary, "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("townhall --help: %v\n%s", err, out)
	}
	c := cli{flags: map[string]string{}, envs: map[string]string{}, defaults: map[string]string{}}
	var flag string
	for _, line := range strings.Split(string(out), "\n") {
		if m := helpFlag.FindStringSubmatch(line); m != nil {
			flag = m[1]
			c.flags[flag] = ""
		}
		if flag == "" {
			continue
		}
		if m := helpDefault.FindStringSubmatch(line); m != nil {
			c.flags[flag] = m[1]
		}
		if m := helpEnv.FindStringSubmatch(line); m != nil {
			c.envs[m[1]] = flag
		}
	}
	for env, flag := range c.envs {
		c.defaults[env] = c.flags[flag]
	}
	if len(c.flags) < 10 || c.envs["TOWNHALL_READY_DRAIN"] != "ready-drain" || c.envs["TOWNHALL_SECRET"] != "secret" {
		t.Fatalf("could not read the flags from --help (%d flags, %d variables):\n%s", len(c.flags), len(c.envs), out)
	}
	return c
}

// checkArgs fails for any --flag the binary does not have.
func (c cli) checkArgs(t *testing.T, where string, args []string) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			t.Errorf("%s: %q is not a flag (the binary takes no positional arguments)", where, a)
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if _, ok := c.flags[name]; !ok {
			t.Errorf("%s: townhall has no flag --%s", where, name)
		}
	}
}

// checkEnv fails for any TOWNHALL_* variable the binary does not read.
func (c cli) checkEnv(t *testing.T, where string, names []string) {
	t.Helper()
	for _, n := range names {
		if strings.HasPrefix(n, "TOWNHALL_") {
			if _, ok := c.envs[n]; !ok {
				t.Errorf("%s: townhall reads no %s", where, n)
			}
		}
	}
}

// duration is env's value in vars, or the flag's default.
func (c cli) duration(t *testing.T, vars map[string]string, env string) time.Duration {
	t.Helper()
	v, ok := vars[env]
	if !ok {
		v = c.defaults[env]
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", env, v, err)
	}
	return d
}

func readYAML(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
}

// get walks v along keys (map keys, or list indexes as numbers).
func get(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func list(v any) []any { l, _ := v.([]any); return l }

// haproxyConf is what the compose and drain checks need from haproxy.cfg.
type haproxyConf struct {
	maxconn    int
	inter      time.Duration
	fall       int
	healthPath string
}

func readHAProxy(t *testing.T) haproxyConf {
	t.Helper()
	b, err := os.ReadFile("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	var h haproxyConf
	s := string(b)
	if m := regexp.MustCompile(`(?m)^\s*maxconn\s+(\d+)`).FindStringSubmatch(s); m != nil {
		h.maxconn, _ = strconv.Atoi(m[1])
	}
	if m := regexp.MustCompile(`(?m)^\s*default-server\b.*\binter\s+(\d+)(ms|s)\b`).FindStringSubmatch(s); m != nil {
		h.inter, _ = time.ParseDuration(m[1] + m[2])
	}
	if m := regexp.MustCompile(`(?m)^\s*default-server\b.*\bfall\s+(\d+)`).FindStringSubmatch(s); m != nil {
		h.fall, _ = strconv.Atoi(m[1])
	}
	if m := regexp.MustCompile(`(?m)^\s*option\s+httpchk\s+(?:GET\s+)?(\S+)`).FindStringSubmatch(s); m != nil {
		h.healthPath = m[1]
	}
	if h.maxconn == 0 || h.inter == 0 || h.fall == 0 {
		t.Fatalf("haproxy.cfg: could not find maxconn, or default-server's inter and fall: %+v", h)
	}
	return h
}

// interpolate resolves compose's ${VAR:-default} and ${VAR:?message} the
// way an operator who set nothing gets them.
var composeVar = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?-([^}]*)|:?\?[^}]*)?\}`)

func interpolate(s string) string {
	return composeVar.ReplaceAllString(s, "$2")
}

func TestCompose(t *testing.T) {
	t.Parallel()
	c := binaryCLI(t)
	docs := readYAML(t, "docker-compose.yml")
	if len(docs) != 1 {
		t.Fatalf("docker-compose.yml: %d documents", len(docs))
	}
	services, _ := docs[0]["services"].(map[string]any)
	var instances []string
	for name := range services {
		if strings.HasPrefix(name, "townhall") {
			instances = append(instances, name)
		}
	}
	sort.Strings(instances)
	if len(instances) < 2 {
		t.Fatalf("instances: %v", instances)
	}
	builds, image := 0, str(get(services, instances[0], "image"))
	if image == "" {
		t.Fatalf("%s has no image: the others cannot reuse what it builds", instances[0])
	}
	for _, name := range instances {
		s := services[name]
		where := "docker-compose.yml " + name
		if get(s, "build") != nil {
			builds++
		}
		if got := str(get(s, "image")); got != image {
			t.Errorf("%s: image %q, want the one image %q", where, got, image)
		}
		env, _ := get(s, "environment").(map[string]any)
		var names []string
		vars := map[string]string{}
		for k, v := range env {
			names = append(names, k)
			vars[k] = interpolate(str(v))
		}
		c.checkEnv(t, where, names)
		var args []string
		for _, a := range list(get(s, "command")) {
			args = append(args, str(a))
		}
		c.checkArgs(t, where, args)
		for _, must := range []string{"TOWNHALL_CREATE_TOKEN", "TOWNHALL_METRICS_ADDR", "TOWNHALL_SECRET", "TOWNHALL_REDIS"} {
			if vars[must] == "" && !strings.Contains(str(env[must]), ":?") {
				t.Errorf("%s: %s is not set", where, must)
			}
		}
		if vars["TOWNHALL_METRICS_ADDR"] == vars["TOWNHALL_ADDR"] {
			t.Errorf("%s: /metrics is served where the load balancer sends clients", where)
		}

		var test []string
		for _, a := range list(get(s, "healthcheck", "test")) {
			test = append(test, str(a))
		}
		if len(test) != 4 || test[0] != "CMD" || test[2] != "probe" || !strings.HasSuffix(test[3], "/readyz") {
			t.Errorf("%s: healthcheck %q is not [CMD /townhall probe .../readyz]", where, test)
		}
		grace, err := time.ParseDuration(str(get(s, "stop_grace_period")))
		if err != nil {
			t.Errorf("%s: stop_grace_period: %v", where, err)
		}
		ready, drain := c.duration(t, vars, "TOWNHALL_READY_DRAIN"), c.duration(t, vars, "TOWNHALL_DRAIN")
		if grace <= ready+drain {
			t.Errorf("%s: stop_grace_period %v, not above ready drain %v + drain %v: Docker kills it mid-drain", where, grace, ready, drain)
		}
		h := readHAProxy(t)
		if seen := h.inter * time.Duration(h.fall); seen > ready {
			t.Errorf("%s: HAProxy notices a 503 after %v (inter × fall), later than the ready drain %v ends", where, seen, ready)
		}
		if get(s, "ports") != nil {
			t.Errorf("%s publishes ports: clients go through HAProxy", where)
		}
	}
	if builds != 1 {
		t.Errorf("%d instances build the image, want 1", builds)
	}
	// The probe the health check runs is a real subcommand.
	out, err := exec.Command(binary, "probe").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "probe") {
		t.Errorf("townhall probe without a URL: %v, %s", err, out)
	}

	for name, s := range services {
		for _, p := range list(get(s, "ports")) {
			if port := interpolate(str(p)); !strings.HasPrefix(port, "127.0.0.1:") {
				t.Errorf("%s publishes %q: not on 127.0.0.1 by default", name, port)
			}
		}
	}
	h := readHAProxy(t)
	if h.healthPath != "/readyz" {
		t.Errorf("haproxy.cfg checks %q, not /readyz", h.healthPath)
	}
	soft, _ := strconv.Atoi(str(get(services, "lb", "ulimits", "nofile", "soft")))
	hard, _ := strconv.Atoi(str(get(services, "lb", "ulimits", "nofile", "hard")))
	if soft < 2*h.maxconn || hard < soft {
		t.Errorf("lb's nofile limit %d/%d: HAProxy's maxconn %d needs two descriptors a connection", soft, hard, h.maxconn)
	}
}

func TestKubernetes(t *testing.T) {
	t.Parallel()
	c := binaryCLI(t)
	kust := readYAML(t, "kubernetes/kustomization.yaml")
	var docs []map[string]any
	for _, r := range list(kust[0]["resources"]) {
		docs = append(docs, readYAML(t, filepath.Join("kubernetes", str(r)))...)
	}
	byKind := map[string]map[string]any{}
	for _, d := range docs {
		byKind[str(d["kind"])] = d
	}
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget", "ConfigMap"} {
		if byKind[k] == nil {
			t.Fatalf("no %s in kustomization.yaml's resources", k)
		}
	}
	dep := byKind["Deployment"]
	pod := get(dep, "spec", "template")
	podLabels, _ := get(pod, "metadata", "labels").(map[string]any)
	matches := func(what string, sel any) {
		t.Helper()
		m, _ := sel.(map[string]any)
		if len(m) == 0 {
			t.Errorf("%s selects nothing", what)
		}
		for k, v := range m {
			if podLabels[k] != v {
				t.Errorf("%s selects %s=%v, which the pods do not have", what, k, v)
			}
		}
	}
	matches("Deployment", get(dep, "spec", "selector", "matchLabels"))
	matches("PodDisruptionBudget", get(byKind["PodDisruptionBudget"], "spec", "selector", "matchLabels"))
	matches("Service", get(byKind["Service"], "spec", "selector"))
	if n, _ := get(dep, "spec", "replicas").(int); n < 2 {
		t.Errorf("%d replicas: a PodDisruptionBudget of one pod blocks every node drain", n)
	}

	containers := list(get(pod, "spec", "containers"))
	if len(containers) != 1 {
		t.Fatalf("%d containers", len(containers))
	}
	ct := containers[0]
	var args []string
	for _, a := range list(get(ct, "args")) {
		args = append(args, str(a))
	}
	c.checkArgs(t, "deployment.yaml args", args)
	if get(ct, "command") != nil {
		t.Errorf("deployment.yaml replaces the image's entrypoint")
	}
	vars := map[string]string{}
	var names []string
	secrets := map[string]bool{}
	for _, e := range list(get(ct, "env")) {
		n := str(get(e, "name"))
		names = append(names, n)
		if ref := get(e, "valueFrom", "secretKeyRef"); ref != nil {
			secrets[n] = true
			if str(get(ref, "name")) == "" || str(get(ref, "key")) == "" {
				t.Errorf("env %s: secretKeyRef without a name and key", n)
			}
		} else {
			vars[n] = str(get(e, "value"))
		}
	}
	for _, from := range list(get(ct, "envFrom")) {
		cm := str(get(from, "configMapRef", "name"))
		if cm != str(get(byKind["ConfigMap"], "metadata", "name")) {
			t.Errorf("envFrom a ConfigMap %q that is not in the manifests", cm)
			continue
		}
		data, _ := get(byKind["ConfigMap"], "data").(map[string]any)
		for k, v := range data {
			names = append(names, k)
			vars[k] = str(v)
		}
	}
	c.checkEnv(t, "deployment.yaml env and ConfigMap", names)
	for _, s := range []string{"TOWNHALL_SECRET", "TOWNHALL_CREATE_TOKEN"} {
		if !secrets[s] {
			t.Errorf("%s does not come from a Secret", s)
		}
	}
	if vars["TOWNHALL_REDIS"] == "" {
		t.Errorf("no TOWNHALL_REDIS in the configuration: three pods would each keep their own store")
	}

	ports := map[string]bool{}
	for _, p := range list(get(ct, "ports")) {
		ports[str(get(p, "name"))] = true
	}
	for _, p := range list(get(byKind["Service"], "spec", "ports")) {
		if tp := str(get(p, "targetPort")); !ports[tp] {
			t.Errorf("Service targets port %q, which the container does not name", tp)
		}
	}
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := str(get(ct, probe, "httpGet", "path")); got != path {
			t.Errorf("%s on %q, want %s", probe, got, path)
		}
		if p := str(get(ct, probe, "httpGet", "port")); !ports[p] {
			t.Errorf("%s on port %q, which the container does not name", probe, p)
		}
	}
	ready, drain := c.duration(t, vars, "TOWNHALL_READY_DRAIN"), c.duration(t, vars, "TOWNHALL_DRAIN")
	period, _ := get(ct, "readinessProbe", "periodSeconds").(int)
	failures, _ := get(ct, "readinessProbe", "failureThreshold").(int)
	if seen := time.Duration(period*failures) * time.Second; seen == 0 || seen > ready {
		t.Errorf("readiness notices a 503 after %v (period × failures), not within the ready drain %v", seen, ready)
	}
	preStop, ok := get(ct, "lifecycle", "preStop", "sleep", "seconds").(int)
	if !ok || preStop <= 0 {
		t.Errorf("no preStop sleep: SIGTERM would race the endpoint's removal")
	}
	grace, _ := get(pod, "spec", "terminationGracePeriodSeconds").(int)
	if need := time.Duration(preStop)*time.Second + ready + drain; time.Duration(grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d, not above preStop %ds + ready drain %v + drain %v", grace, preStop, ready, drain)
	}
	if get(ct, "securityContext", "readOnlyRootFilesystem") != true || get(pod, "spec", "securityContext", "runAsNonRoot") != true {
		t.Errorf("the container is not read-only and non-root")
	}
}

func TestSystemd(t *testing.T) {
	t.Parallel()
	c := binaryCLI(t)
	b, err := os.ReadFile("systemd/townhall.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		unit[k] = append(unit[k], v)
	}
	one := func(k string) string {
		if len(unit[k]) != 1 {
			t.Errorf("townhall.service: %d %s lines, want 1", len(unit[k]), k)
			return ""
		}
		return unit[k][0]
	}
	exec0 := strings.Fields(one("ExecStart"))
	if len(exec0) == 0 {
		t.Fatal("no ExecStart")
	}
	c.checkArgs(t, "townhall.service ExecStart", exec0[1:])
	if !strings.Contains(one("ExecStart"), "--data=${STATE_DIRECTORY}") || one("StateDirectory") == "" {
		t.Errorf("the embedded store is not in the StateDirectory")
	}
	if one("DynamicUser") != "yes" && len(unit["User"]) == 0 {
		t.Errorf("runs as root")
	}
	if one("KillSignal") != "SIGTERM" {
		t.Errorf("KillSignal is not SIGTERM: the drain never starts")
	}
	envFile := strings.TrimPrefix(one("EnvironmentFile"), "-")
	if envFile != "/etc/townhall/townhall.env" {
		t.Errorf("EnvironmentFile %q is not the documented one", envFile)
	}
	vars := map[string]string{}
	var names []string
	eb, err := os.ReadFile("systemd/townhall.env")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(eb), "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("townhall.env: %q is not KEY=value", line)
		}
		names = append(names, k)
		vars[k] = v
	}
	c.checkEnv(t, "townhall.env", names)
	stop, err := time.ParseDuration(one("TimeoutStopSec"))
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v", err)
	}
	if ready, drain := c.duration(t, vars, "TOWNHALL_READY_DRAIN"), c.duration(t, vars, "TOWNHALL_DRAIN"); stop <= ready+drain {
		t.Errorf("TimeoutStopSec %v, not above ready drain %v + drain %v", stop, ready, drain)
	}
	for _, k := range []string{"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "RestrictAddressFamilies", "SystemCallFilter"} {
		if len(unit[k]) == 0 {
			t.Errorf("no %s", k)
		}
	}

	// systemd's own check, on the unit with ExecStart pointing at the
	// binary just built.
	dir := t.TempDir()
	verify := filepath.Join(dir, "townhall.service")
	if err := os.WriteFile(verify, bytes.ReplaceAll(b, []byte(exec0[0]), []byte(binary)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", verify).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is missing: scripts/install-test-deps.sh installs it (Debian's prometheus package)")
	}
	return p
}

func TestAlertRules(t *testing.T) {
	t.Parallel()
	p := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"test", "rules", "alerts_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		cmd := exec.Command(p, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	want := []string{"TownhallInstanceDown", "TownhallNotReady", "TownhallStoreAppendErrors",
		"TownhallCommandLatencyHigh", "TownhallRedisResyncStorm", "TownhallManySlowClients"}
	have := map[string]bool{}
	for _, r := range alertRules(t) {
		have[r.Alert] = true
	}
	for _, a := range want {
		if !have[a] {
			t.Errorf("alerts.yml has no %s", a)
		}
	}
}

type rule struct {
	Alert string `yaml:"alert"`
	Expr  string `yaml:"expr"`
}

func alertRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("alerts.yml has no rules")
	}
	return rules
}

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
	Datasource struct {
		UID string `json:"uid"`
	} `json:"datasource"`
}

// dashboardExprs returns every PromQL expression of the dashboard, by
// where it is, after checking the panels' shape.
func dashboardExprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("grafana/townhall.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		UID        string  `json:"uid"`
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("townhall.json: %v", err)
	}
	exprs := map[string]string{}
	ids := map[int]bool{}
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if len(p.Targets) == 0 || p.Title == "" {
				t.Errorf("panel %d %q: no title or no query", p.ID, p.Title)
			}
			if p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q uses datasource %q, not the dashboard's variable", p.Title, p.Datasource.UID)
			}
			for i, tg := range p.Targets {
				exprs[fmt.Sprintf("panel %q query %d", p.Title, i)] = tg.Expr
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Definition != "" {
			exprs["variable "+v.Name] = v.Definition
		}
	}
	return exprs
}

// scrape runs the real binary on a real Redis, makes it do a little of
// everything, and returns the metric families its /metrics serves, with
// their types.
func scrape(t *testing.T) map[string]string {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	addr, maddr := freeAddr(t), freeAddr(t)
	var out bytes.Buffer
	cmd := exec.Command(binary, "--addr", addr, "--metrics-addr", maddr, "--redis", srv.URL(), "--secret", "deploy test secret")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("server output:\n%s", out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	post := func(path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		res, err := http.Post("http://"+addr+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		if res.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, m)
		}
		return m
	}
	sess := post("/api/sessions", map[string]string{"title": "Metrics"})
	post("/api/join", map[string]string{"code": str(sess["code"])})

	// One command over a websocket, so that the command counters have a
	// series.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	ws.SetReadLimit(1 << 22)
	send := func(v any) {
		b, _ := json.Marshal(v)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	send(map[string]any{"type": "hello", "token": sess["facilitatorKey"]})
	send(map[string]any{"type": "cmd", "id": "c1", "op": "activity.create",
		"activity": map[string]any{"kind": "poll", "title": "Q", "options": []string{"A", "B"}}})
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for the command's answer: %v", err)
		}
		var m map[string]any
		json.Unmarshal(data, &m)
		if m["id"] == "c1" {
			if m["type"] != "ack" {
				t.Fatalf("activity.create: %v", m)
			}
			break
		}
	}

	res, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	types := map[string]string{}
	for _, line := range strings.Split(string(body), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			types[f[2]] = f[3]
		}
	}
	if len(types) < 20 {
		t.Fatalf("/metrics serves %d families:\n%s", len(types), body)
	}
	return types
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var metricName = regexp.MustCompile(`\b(?:townhall|process|go)_[a-z0-9_]+\b`)

// metricNames returns the metric names a PromQL expression mentions, the
// series of a histogram (_bucket, _sum, _count) as the histogram.
func metricNames(expr string, types map[string]string) []string {
	var names []string
	for _, n := range metricName.FindAllString(expr, -1) {
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if base, ok := strings.CutSuffix(n, suffix); ok && types[base] == "histogram" {
				n = base
			}
		}
		names = append(names, n)
	}
	return names
}

func TestDashboardAndRulesNameServedMetrics(t *testing.T) {
	t.Parallel()
	types := scrape(t)
	exprs := dashboardExprs(t)
	for _, r := range alertRules(t) {
		exprs["rule "+r.Alert] = r.Expr
	}
	mentioned := map[string]bool{}
	for where, e := range exprs {
		for _, n := range metricNames(e, types) {
			mentioned[n] = true
			if _, ok := types[n]; !ok {
				t.Errorf("%s names %s, which /metrics does not serve", where, n)
			}
		}
	}
	// The dashboard shows every Townhall series the server has.
	for n := range types {
		if strings.HasPrefix(n, "townhall_") && !mentioned[n] {
			t.Errorf("%s is served but no panel or rule shows it", n)
		}
	}
	if len(mentioned) < 20 {
		t.Fatalf("only %d metrics named: the expressions were not read", len(mentioned))
	}
}

func TestMetricNames(t *testing.T) {
	t.Parallel()
	types := map[string]string{"townhall_command_seconds": "histogram", "townhall_x_count": "counter"}
	got := metricNames(`histogram_quantile(0.99, sum by (le) (rate(townhall_command_seconds_bucket[5m]))) / townhall_x_count + rate(process_cpu_seconds_total[1m]) > go_goroutines`, types)
	want := []string{"townhall_command_seconds", "townhall_x_count", "process_cpu_seconds_total", "go_goroutines"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := interpolate(`${TOWNHALL_PUBLISH:-127.0.0.1:8080}:8080 ${TOWNHALL_SECRET:?set it} ${A}`); got != "127.0.0.1:8080:8080  " {
		t.Fatalf("interpolate: %q", got)
	}
}
