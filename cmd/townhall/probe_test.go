package main

import (
	"errors"
	"os/exec"
	"testing"
)

// "townhall probe URL" is the image's health check: 0 when the server is
// ready, 1 when it does not answer 200, 2 for a URL that is not one.
func TestProbe(t *testing.T) {
	t.Parallel()
	p := start(t, freeAddr(t), t.TempDir())
	code := func(args ...string) (int, string) {
		t.Helper()
		out, err := exec.Command(binary, append([]string{"probe"}, args...)...).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"http://" + p.addr + "/readyz"}, 0},
		{[]string{"http://" + p.addr + "/no-such-page"}, 1},
		{[]string{"http://" + freeAddr(t) + "/readyz"}, 1},
		{[]string{"localhost:8080/readyz"}, 2},
		{nil, 2},
		{[]string{"http://" + p.addr + "/readyz", "stray"}, 2},
	} {
		if got, out := code(c.args...); got != c.want {
			t.Errorf("probe %q exited %d, want %d: %s", c.args, got, c.want, out)
		}
	}
}
