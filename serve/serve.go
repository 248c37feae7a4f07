package serve

import (
	"context"
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
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store/sqlite"
)

// Config is a crmbridge server program: the adapters it serves and what a
// deployment may add. The zero value plus Adapters is a complete server;
// the deployment configures the rest through the environment and flags
// (see the package documentation).
type Config struct {
	// Name is the program's name in -h and in the error Main prints
	// before exiting. Default: the base name of os.Args[0].
	Name string

	// Adapters are served as they are, in this order, before the
	// Configured ones. Platform names must be unique across both.
	Adapters []adapter.Adapter

	// Configured are adapters built from settings the operator gives,
	// such as a CRM's OAuth client that only a deployment has. Their
	// settings get flags and environment variables like serve's own.
	Configured []Configured

	// Options are passed to httpserver.New after the ones serve derives
	// from the configuration, so they win: WithContactCacheTTL,
	// WithBodyLimit and the like. Leave WithLogger to serve: its logger
	// honours LOG_LEVEL and writes to Process.Stderr.
	Options []httpserver.Option
}

// Process is what Run takes from the operating system. Main fills it from
// os.Args, os.Getenv, os.Stdout and os.Stderr; tests fill it themselves.
type Process struct {
	// Args are the command-line arguments without the program name.
	Args []string
	// Getenv returns an environment variable, "" when unset; an empty
	// value counts as unset. Nil: no variable is set.
	Getenv func(key string) string
	// Stdout receives the help of -h and nothing else. Nil: discarded.
	Stdout io.Writer
	// Stderr receives the log (log/slog text lines, buffered and written
	// out at least every 100 ms). Nil: discarded.
	Stderr io.Writer
	// Listening, when not nil, is called with the listening address
	// ("127.0.0.1:6066") once the server serves requests: with -port 0 it
	// tells a test where the server is. It may send requests; Run waits
	// for it to return before it watches the context.
	Listening func(addr string)
}

// ErrUsage is wrapped by Run's error for a mistake on the command line (an
// unknown flag, a flag without its value, an extra argument). Main exits
// with status 2 for it, as the flag package does.
var ErrUsage = errors.New("invalid command line")

// keygenCommand is how an operator makes the keys; every message about a
// missing or bad key names it. The package path works in this repository
// and in any module that requires crmbridge.
const keygenCommand = "go run github.com/crmbridge/crmbridge/cmd/crmbridge keys"

// Main serves adapters with the configuration the environment and flags
// give; it is Config{Adapters: adapters}.Main().
func Main(adapters ...adapter.Adapter) {
	Config{Adapters: adapters}.Main()
}

// Main runs the server until SIGINT or SIGTERM, then shuts it down
// gracefully and exits the process: status 0 after a clean shutdown or -h,
// 2 for a mistake on the command line (ErrUsage), 1 for any other error,
// which it prints to stderr first.
func (c Config) Main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := c.Run(ctx, Process{Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr})
	stop()
	switch {
	case err == nil, errors.Is(err, errHelp):
		os.Exit(0)
	case errors.Is(err, ErrUsage):
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.name(), err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", c.name(), err)
		os.Exit(1)
	}
}

// name is the program's name for -h and messages.
func (c Config) name() string {
	if c.Name != "" {
		return c.Name
	}
	if len(os.Args) > 0 && os.Args[0] != "" {
		return filepath.Base(os.Args[0])
	}
	return "crmbridge"
}

// Run configures the server from p's environment and flags, checks every
// value (and refuses PostgreSQL without the three keys) before anything
// starts, opens the store DATABASE_URL names, listens, and serves until ctx
// is done. Then it shuts down gracefully: it stops accepting connections,
// lets in-flight requests finish (at most 30 s), closes the handler and
// then the store. It returns nil after a clean shutdown.
//
// For -h it prints the help to p.Stdout and returns an error matching
// flag.ErrHelp. A command-line mistake returns an error wrapping ErrUsage.
// Errors name the variable or flag at fault and never show a secret.
//
// Unless GOGC and GOMEMLIMIT are set, Run sets the garbage collector's
// percentage to 200 and a soft memory limit of 40 MiB, process-wide
// settings (see the package documentation).
func (c Config) Run(ctx context.Context, p Process) error {
	getenv := p.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	stdout, stderr := p.Stdout, p.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	table, err := c.settings()
	if err != nil {
		return err
	}
	cfg, err := parseConfig(c, table, p.Args, getenv, stdout)
	if err != nil {
		return err
	}
	if err := errors.Join(cfg.validate(), cfg.missingSettings(c.Configured)); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("%s: %w", cfg.name("log-level"), err)
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
	// Tracing is configured before anything is made: an unsupported
	// OTEL_* setting stops the start like any other bad value.
	tp, tracing, err := setupTracing(ctx, getenv)
	if err != nil {
		return err
	}
	if tp != nil {
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
		dbFile, _ = sqlite.FilePath(target)
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
	if cfg.HashKey != "" && len(cfg.HashKey) < auth.MinJWTSecretLength {
		log.Warn("HASH_KEY is shorter than 32 bytes; generate a stronger one with " + keygenCommand)
	}
	jwts, err := auth.NewJWTIssuer([]byte(cfg.SecretKey))
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.name("secret-key"), err)
	}
	sealing, err := auth.ParseSealingKeyRing(cfg.TokenKey)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.name("token-key"), err)
	}

	adapters := append([]adapter.Adapter(nil), c.Adapters...)
	more, err := c.buildConfigured(cfg, log)
	if err != nil {
		return err
	}
	adapters = append(adapters, more...)
	if len(adapters) == 0 {
		return errors.New("no adapter to serve: pass at least one to serve.Main, or configure an optional one (-h lists them)")
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

	opts := []httpserver.Option{httpserver.WithLogger(log), httpserver.WithHashKey(cfg.HashKey), httpserver.WithRingCentralServer(cfg.RCServer)}
	if cfg.ServerURL != "" {
		opts = append(opts, httpserver.WithServerURL(cfg.ServerURL))
	}
	var metrics *httpserver.Metrics
	if cfg.MetricsAddr != "off" {
		metrics = httpserver.NewMetrics()
		opts = append(opts, httpserver.WithMetrics(metrics))
	}
	if tp != nil {
		opts = append(opts, httpserver.WithTracerProvider(tp))
	}
	opts = append(opts, c.Options...)
	handler, err := httpserver.New(httpserver.Config{Adapters: adapters, Store: st, JWTIssuer: jwts, SealingKeys: sealing}, opts...)
	if err != nil {
		return err
	}

	var served http.Handler = handler
	if metrics != nil && cfg.MetricsAddr == "" {
		served = withMetricsRoute(handler, metrics.Handler())
	}
	if cfg.Playground {
		served = withPlayground(served)
		log.Warn("the playground is on at /playground: for development only, never in production",
			slog.Bool("generated_keys", cfg.usesGeneratedKeys()))
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.Host, cfg.Port))
	if err != nil {
		handler.Close()
		return err
	}
	if metrics != nil && cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			handler.Close()
			return fmt.Errorf("%s: %w", cfg.name("metrics-addr"), err)
		}
		mmux := http.NewServeMux()
		mmux.Handle("GET /metrics", metrics.Handler())
		msrv := newHTTPServer(mmux, log)
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
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	if p.Listening != nil {
		p.Listening(ln.Addr().String())
	}
	select {
	case err := <-serveErr:
		handler.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down; waiting for in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	// Confirms the store could not take yet are retried until here.
	handler.Close()
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// withMetricsRoute serves GET (and HEAD) /metrics with metrics and every
// other request with handler. It is a comparison rather than a ServeMux in
// front of the handler: a mux there matched every request a second time
// (and allocated for its "/" pattern) only to pass it on, and a path it
// would have redirected ("//contact") goes to the handler, which answers
// it like any unknown route.
func withMetricsRoute(handler, metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			metrics.ServeHTTP(w, r)
			return
		}
		handler.ServeHTTP(w, r)
	})
}

// shutdownTimeout bounds the wait for in-flight requests at shutdown (a
// request's own work is bounded by httpserver's per-request timeouts).
const shutdownTimeout = 30 * time.Second

// memoryLimit is serve's default soft memory limit.
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
