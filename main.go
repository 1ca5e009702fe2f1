// Command redis-session-demo serves a web page that shows, side by side,
// the session cookie a browser holds, the Redis key the session lives under,
// and the session's values. See README.md.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"redis-session-demo/internal/buildinfo"
	"redis-session-demo/internal/redisconn"
	"redis-session-demo/server"
)

// The embed directives live here because //go:embed cannot reach a parent
// folder from server/.
var (
	//go:embed templates
	templateFiles embed.FS
	//go:embed static
	staticFiles embed.FS

	// sourceFiles are the files whose code /tutorial shows beside each step,
	// so that the page shows the code of this very build. The list is the
	// files server/tutorial.go names, no more (TestEmbeddedSourcesAreTheTutorials
	// compares the two), and never a test file.
	//
	//go:embed go.mod main.go
	//go:embed server/config.go server/handlers.go server/view.go
	//go:embed internal/redisconn/redisconn.go
	//go:embed internal/sessionstore/keys.go internal/sessionstore/serializer.go internal/sessionstore/store.go
	sourceFiles embed.FS
)

// shutdownTimeout is how long in-flight requests get to finish after
// SIGTERM or SIGINT; PaaS platforms wait about that long before SIGKILL.
const shutdownTimeout = 10 * time.Second

// gcPercent is the app's GOGC unless the environment sets one. The app
// keeps little (some 3 MB live under load) and a page allocates some
// 14 KB, so at Go's default of 100 the collector runs every 200 or so
// pages and takes about a tenth of a page's CPU. At 150 it runs a third
// less often, for about 2 MB more at the peak; 200 saved little more and
// brought the peak close to the 32 MB the app is held to (README, speed).
const gcPercent = 150

func main() {
	flags := flag.NewFlagSet("redis-session-demo", flag.ExitOnError)
	showVersion := flags.Bool("version", false, "print the version and exit")
	healthcheck := flags.Bool("healthcheck", false,
		"exit 0 when the app listening on $PORT answers "+server.LivenessPath+", 1 otherwise (for a container HEALTHCHECK)")
	flags.Parse(os.Args[1:])
	switch {
	case *showVersion:
		fmt.Println(buildinfo.Version())
		return
	case *healthcheck:
		if err := checkLive(os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, "redis-session-demo -healthcheck:", err)
			os.Exit(1)
		}
		return
	}

	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "redis-session-demo:", err)
		os.Exit(1)
	}
}

// run serves the app until ctx is cancelled, then drains the requests in
// flight and closes Redis.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := server.ConfigFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("bad configuration:\n%w", err)
	}
	slog.SetDefault(newLogger(cfg, stdout))
	rdb, err := redisconn.Connect(cfg.Redis)
	if err != nil {
		return err
	}
	defer rdb.Close()

	templates, _ := fs.Sub(templateFiles, "templates")
	static, _ := fs.Sub(staticFiles, "static")
	app, err := server.New(cfg, rdb, server.Files{Templates: templates, Static: static, Source: sourceFiles})
	if err != nil {
		return err
	}
	listener, err := net.Listen("tcp", fmt.Sprintf(":%d", cfg.Port))
	if err != nil {
		return err
	}
	printStart(stdout, cfg, rdb, listener.Addr().(*net.TCPAddr).Port)

	served := make(chan error, 1)
	go func() { served <- app.Serve(listener) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(stdout, "shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := app.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newLogger is the app's log, the request log included, on stdout where
// platforms collect it: text for a person in development, JSON in
// production, where the platform's log drain parses it.
func newLogger(cfg server.Config, w io.Writer) *slog.Logger {
	if cfg.Production {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// checkLive asks the app on this machine's PORT for its liveness answer. A
// distroless image has no curl or wget, so the binary asks itself.
func checkLive(getenv func(string) string) error {
	port := getenv("PORT")
	if port == "" {
		port = fmt.Sprint(server.DefaultPort)
	}
	client := http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://127.0.0.1:" + port + server.LivenessPath)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", server.LivenessPath, resp.Status)
	}
	return nil
}

func printStart(w io.Writer, cfg server.Config, rdb *redisconn.Conn, port int) {
	fmt.Fprintf(w, "redis-session-demo %s\n", buildinfo.Version())
	if cfg.SecretGenerated {
		fmt.Fprintln(w, "warning: SESSION_SECRET is not set; using a random one, so forms from before a restart stop working")
	}
	keys := cfg.Keys()
	if rdb.Embedded {
		fmt.Fprintf(w, "embedded Redis (miniredis) on %s; REDIS_URL is not set\n", rdb.Addr())
		fmt.Fprintln(w, "look at the sessions with one-shot commands (interactive redis-cli does not work with miniredis):")
	} else {
		// The app starts while Redis is down (it answers 503 until Redis is
		// back), so say here whether it answers, to save a puzzled first visit.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := rdb.Client.Ping(ctx).Err()
		cancel()
		state := "answers PING"
		if err != nil {
			state = "does NOT answer yet (" + err.Error() + "); pages answer 503 until it does"
		}
		fmt.Fprintf(w, "Redis (%s) at %s %s\n", cfg.Redis.Mode, redactedURL(cfg.Redis.URL), state)
		fmt.Fprintln(w, "look at the sessions with:")
	}
	fmt.Fprintf(w, "  %s\n", rdb.ScanCommand(keys.Pattern()))
	fmt.Fprintf(w, "  %s GET %s\n", rdb.CLI, keys.Session("<session id>"))
	fmt.Fprintf(w, "  %s PTTL %s\n", rdb.CLI, keys.Session("<session id>"))
	fmt.Fprintf(w, "listening on http://localhost:%d\n", port)
}

// redactedURL is a Redis URL fit to print: any password replaced by xxxxx.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
