# Townhall: two commands do everything.
#   make run    builds and runs the server on the embedded store (nothing to install)
#   make test   installs what the tests need (redis-server, chromium, haproxy, promtool, axe-core) and runs them all

GO      ?= go
ADDR    ?= $(or $(TOWNHALL_ADDR),:8080)
DATA    ?= $(or $(TOWNHALL_DATA),./data)
STATICCHECK = honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS  = -X main.version=$(VERSION)

.PHONY: run build test fuzz deps check unit screenshots bench lint clean

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/townhall ./cmd/townhall
	$(GO) build -o bin/townhall-load ./cmd/townhall-load

run: build
	./bin/townhall --addr $(ADDR) --data $(DATA)

deps:
	./scripts/install-test-deps.sh

# The whole suite: formatting, vet, and every test with the race detector,
# against a real redis-server and a real Chromium.
test: deps check
	$(GO) test -race -count=1 -timeout 30m ./...
	$(MAKE) fuzz

# A bounded run of each fuzz target beyond its seed corpus (which every
# go test runs); FUZZTIME=5m for a longer hunt. Minimizing what it finds
# is capped, so that a failure is reported within the run.
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseCommand$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./session/
	$(GO) test -run '^$$' -fuzz '^FuzzReducer$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s ./session/

check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

lint: check
	$(GO) run $(STATICCHECK) ./...

screenshots: deps
	$(GO) run ./e2e/cmd/screenshots

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./session/ ./hub/

clean:
	rm -rf bin
