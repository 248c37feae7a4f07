// Command server is the crmbridge example server: the testcrm sample adapter
// (and Pipedrive and HubSpot, when configured) behind the full wire protocol, on SQLite by
// default.
//
//	go run ./examples/server
//
// It listens on 127.0.0.1:6066 and keeps its data in ./crmbridge-data. See
// the flags (-h) or the environment variables APP_HOST, PORT,
// APP_SERVER_SECRET_KEY, DATABASE_URL, TOKEN_ENCRYPTION_KEY and HASH_KEY.
// Fresh keys come from "go run ./cmd/crmbridge keys"; on PostgreSQL the
// server refuses to start without them.
//
// Prometheus metrics are served at /metrics on the main address, or on
// their own with METRICS_ADDR (-metrics-addr; "off" turns them off).
// Tracing follows the standard OTEL_* variables (see setupTracing).
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

var randRead = rand.Read

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run starts the server and blocks until ctx is done, then shuts down
// gracefully: in-flight requests finish, then the store closes. ready, when
// not nil, receives the listening address. -h prints the help to stdout
// and returns errHelp; logs go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	cfg, err := parseConfig(args, getenv, stdout)
	if err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if getenv("GOGC") == "" {
		// The live heap is a few megabytes, so the default (100) collects
		// very often under load; 200 trades ~6 MB of peak RSS for ~15%
		// more requests per second (bench/load.sh). GOGC overrides it.
		debug.SetGCPercent(200)
	}
	if getenv("GOMEMLIMIT") == "" {
		// GOGC=200 lets the heap grow to three times what is live. Under
		// hostile lookups the bounded caches fill (tens of megabytes live),
		// and that headroom would take the process past 64 MB (PROTOCOL.md
		// §1's budget, bench/hostile); the soft limit makes the collector
		// work harder near it instead. GOMEMLIMIT overrides it.
		debug.SetMemoryLimit(memoryLimit)
	}
	logOut := newLogWriter(stderr, 100*time.Millisecond)
	defer logOut.Close()
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: level}))

	kind, target, err := storeKind(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	dbFile := ""
	switch kind {
	case "postgres":
		if err := cfg.requireKeys("PostgreSQL"); err != nil {
			return err
		}
	case "sqlite":
		dbFile, _ = sqliteFile(target)
		if err := cfg.ensureKeys(dbFile); err != nil {
			return err
		}
	}
	if err := cfg.validateKeys(); err != nil {
		return err
	}
	if len(cfg.secretFlags) > 0 {
		log.Warn("secrets given as flags are visible in the process list; use the environment variables instead",
			slog.Any("flags", cfg.secretFlags))
	}
	if cfg.usesGeneratedKeys() {
		msg := "using keys generated into a local file; production must set APP_SERVER_SECRET_KEY, TOKEN_ENCRYPTION_KEY and HASH_KEY (" + keygenCommand + ")"
		if n := len(cfg.generated); n < 3 {
			msg = strings.Join(cfg.generated, " and ") + plural(n, " is", " are") +
				" not set and come" + plural(n, "s", "") + " from the generated key file, while the other keys come from the configuration; set all three (" + keygenCommand + ")"
		}
		log.Warn(msg, slog.String("file", cfg.KeyFile), slog.Any("from_file", cfg.generated))
	}
	if cfg.HashKey != "" && len(cfg.HashKey) < auth.MinSecretLength {
		log.Warn("HASH_KEY is shorter than 32 bytes; generate a stronger one with " + keygenCommand)
	}
	sessions, err := auth.NewSessions([]byte(cfg.SecretKey))
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.name("secret-key"), err)
	}
	keys, err := auth.ParseKeyRing(cfg.TokenKey)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.name("token-key"), err)
	}

	st, err := openStore(ctx, kind, target, dbFile, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("closing store", slog.String("error", err.Error()))
		}
	}()

	adapters := []adapter.Adapter{testcrm.New(testcrm.NewCRM())}
	more, err := optionalAdapters(cfg, log)
	if err != nil {
		return err
	}
	adapters = append(adapters, more...)

	opts := []httpserver.Option{httpserver.WithLogger(log), httpserver.WithHashKey(cfg.HashKey), httpserver.WithRingCentralServer(cfg.RCServer)}
	if cfg.ServerURL != "" {
		opts = append(opts, httpserver.WithServerURL(cfg.ServerURL))
	}
	var metrics *httpserver.Metrics
	if cfg.MetricsAddr != "off" {
		metrics = httpserver.NewMetrics()
		opts = append(opts, httpserver.WithMetrics(metrics))
	}
	tp, tracing, err := setupTracing(ctx, getenv)
	if err != nil {
		return err
	}
	if tp != nil {
		opts = append(opts, httpserver.WithTracerProvider(tp))
		defer func() {
			// Flush the spans still batched, bounded: a collector that is
			// gone must not hold the shutdown.
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tp.Shutdown(sctx); err != nil {
				log.Warn("flushing traces", slog.String("error", err.Error()))
			}
		}()
	}
	srvHandler, err := httpserver.New(httpserver.Config{Adapters: adapters, Store: st, Sessions: sessions, Keys: keys}, opts...)
	if err != nil {
		return err
	}
	var handler http.Handler = srvHandler
	if metrics != nil && cfg.MetricsAddr == "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler())
		mux.Handle("/", srvHandler)
		handler = mux
	}

	var served http.Handler = handler
	if cfg.Playground {
		served = withPlayground(handler)
		log.Warn("the playground is on at /playground: for development only, never in production",
			slog.Bool("generated_keys", cfg.usesGeneratedKeys()))
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, cfg.Port))
	if err != nil {
		return err
	}
	if metrics != nil && cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metrics.Handler())
		msrv := &http.Server{Handler: mmux, ReadHeaderTimeout: 10 * time.Second}
		go msrv.Serve(mln)
		defer msrv.Close()
		log.Info("metrics listening", slog.String("addr", "http://"+mln.Addr().String()+"/metrics"))
	}
	srv := newHTTPServer(served, log)
	names := make([]string, len(adapters))
	for i, a := range adapters {
		names[i] = a.Platform()
	}
	log.Info("crmbridge listening", slog.String("addr", "http://"+ln.Addr().String()),
		slog.String("store", kind), slog.Any("platforms", names),
		slog.Bool("metrics", metrics != nil), slog.String("tracing", tracing))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	// Confirms the store could not take yet are retried until here.
	srvHandler.Close()
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// memoryLimit is the example server's default soft memory limit.
const memoryLimit = 40 << 20

// maxHeaderBytes bounds a request's header section, request line (and so
// the query string) included: PROTOCOL.md §1 allows 64 KiB. Go's server
// answers 431 past it without calling the handler.
const maxHeaderBytes = 64 << 10

// newHTTPServer sets every limit of the listening server: a slow or huge
// request cannot hold a connection or memory for long. The request body is
// bounded by the handler (httpserver.WithBodyLimit).
func newHTTPServer(handler http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           handler,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// openStore opens the store a DATABASE_URL selected. dbFile is the SQLite
// database's file ("" in memory), also when target is a "file:" URI.
func openStore(ctx context.Context, kind, target, dbFile string, log *slog.Logger) (store.Store, error) {
	switch kind {
	case "sqlite":
		if dbFile != "" {
			if dir := filepath.Dir(dbFile); dir != "." {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("creating database directory: %w", err)
				}
			}
			// The database holds sealed credentials: readable by the owner
			// only. SQLite gives its -wal and -shm files the same mode.
			f, err := os.OpenFile(dbFile, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("creating database file: %w", err)
			}
			fi, err := f.Stat()
			f.Close()
			if err == nil && fi.Mode().Perm()&0o077 != 0 {
				log.Warn("the database holds sealed credentials but other users can read it; chmod 600 it",
					slog.String("file", dbFile), slog.String("mode", fi.Mode().Perm().String()))
			}
		}
		return sqlite.Open(ctx, target, sqlite.WithLogger(log))
	case "postgres":
		return openPostgres(ctx, target, log)
	}
	return nil, fmt.Errorf("unknown store kind %q", kind)
}
