package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/townhall/townhall/protocol"
)

// joinResult names a join's outcome for townhall_joins_total: ok, or the
// error code its answer carries.
func joinResult(err error) string {
	var ae *apiError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &ae):
		return ae.Code
	}
	return protocol.CodeInternal
}

// countJoin counts the join whose answer *err is.
func (s *Server) countJoin(err *error) {
	if s.cfg.Hubs != nil {
		s.cfg.Hubs.Metrics().Join(joinResult(*err))
	}
}

// ReadyGauge is townhall_ready: 1 when /readyz would answer 200, computed
// at each scrape, so that a dashboard and an alert see readiness as the
// load balancer does.
func (s *Server) ReadyGauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "townhall_ready", Help: "1 when /readyz answers 200: not draining, the store ready, no session's log changed.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if s.readiness(ctx) != nil {
			return 0
		}
		return 1
	})
}

// readiness is what /readyz checks.
func (s *Server) readiness(ctx context.Context) error {
	if s.draining.Load() {
		return errors.New("draining: shutting down")
	}
	if err := s.cfg.Store.Ready(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if broken := s.cfg.Hubs.Broken(); len(broken) > 0 {
		return errors.New("sessions whose log changed: " + strings.Join(broken, "; "))
	}
	return nil
}
