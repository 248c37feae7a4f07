package httpserver

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/crmbridge/crmbridge/internal/apidoc"
)

// readyz is the readiness probe: 200 only when the store answers within the
// readiness timeout, so a load balancer stops sending traffic to a replica
// whose database is gone. /isAlive stays the liveness probe (no I/O).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		requestInfo(r.Context()).err = err
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "not ready: store did not answer",
			slog.String("request_id", requestInfo(r.Context()).id), slog.String("error", logSafe(err)))
		writeText(w, http.StatusServiceUnavailable, "Store unavailable")
		return
	}
	writeText(w, http.StatusOK, "OK")
}

// openAPI serves crmbridge's own OpenAPI document (internal/apidoc).
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(apidoc.JSON)
}
