package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"redis-session-demo/server"

	"redis-session-demo/internal/redistest"
)

// healthPath is the route platforms probe; the tests below check that every
// platform file names it and that the app answers it.
const healthPath = "/healthz"

// binaryName is what `go install` calls the program, and so what Heroku's
// Go buildpack puts in bin/: the last element of the module path.
func binaryName(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindStringSubmatch(readFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod names no module")
	}
	return filepath.Base(m[1])
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// match returns the first group of pattern in text, or fails.
func match(t *testing.T, file, text, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no match for %s", file, pattern)
	}
	return m[1]
}

func TestPlatformFilesAgreeWithCode(t *testing.T) {
	bin := binaryName(t)
	port := fmt.Sprint(server.DefaultPort)
	goMod := readFile(t, "go.mod")
	goLine := match(t, "go.mod", goMod, `(?m)^go (\d+\.\d+)`)
	if got := match(t, "go.mod", goMod, `// \+heroku goVersion go(\S+)`); got != goLine {
		t.Errorf("go.mod: +heroku goVersion go%s, but the go line says %s", got, goLine)
	}

	if got := strings.TrimSpace(readFile(t, "Procfile")); got != "web: bin/"+bin {
		t.Errorf("Procfile %q, want %q", got, "web: bin/"+bin)
	}
	// Every platform that can kill the process must wait longer than the
	// drain after SIGTERM.
	drain := int(shutdownTimeout.Seconds())

	render := readFile(t, "render.yaml")
	for _, want := range []string{"buildCommand: go build -o bin/" + bin + " .", "startCommand: ./bin/" + bin} {
		if !strings.Contains(render, want) {
			t.Errorf("render.yaml lacks %q", want)
		}
	}
	// Render's one check also restarts the instance: liveness.
	if got := match(t, "render.yaml", render, `healthCheckPath: (\S+)`); got != server.LivenessPath {
		t.Errorf("render.yaml healthCheckPath %s, want %s", got, server.LivenessPath)
	}
	if got := atoi(t, match(t, "render.yaml", render, `maxShutdownDelaySeconds: (\d+)`)); got <= drain {
		t.Errorf("render.yaml maxShutdownDelaySeconds %d, want more than the %d s drain", got, drain)
	}

	// Railway builds with a root Dockerfile whenever there is one, and a
	// startCommand would replace the image's ENTRYPOINT: so build the
	// Dockerfile, start what it starts, and gate the deploy on readiness.
	var railway struct {
		Build  struct{ Builder, DockerfilePath string }
		Deploy struct {
			StartCommand    *string
			HealthcheckPath string
			DrainingSeconds int
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, "railway.json")), &railway); err != nil {
		t.Fatal(err)
	}
	if railway.Build.Builder != "DOCKERFILE" || railway.Build.DockerfilePath != "Dockerfile" {
		t.Errorf("railway.json build %+v, want the DOCKERFILE builder on Dockerfile", railway.Build)
	}
	if railway.Deploy.StartCommand != nil {
		t.Errorf("railway.json startCommand %q would override the image's ENTRYPOINT", *railway.Deploy.StartCommand)
	}
	if railway.Deploy.HealthcheckPath != server.ReadinessPath || railway.Deploy.DrainingSeconds <= drain {
		t.Errorf("railway.json deploy %+v, want %s and more than %d draining seconds", railway.Deploy, server.ReadinessPath, drain)
	}

	fly := readFile(t, "fly.toml")
	if got := match(t, "fly.toml", fly, `internal_port = (\d+)`); got != port {
		t.Errorf("fly.toml internal_port %s, want %s", got, port)
	}
	if got := match(t, "fly.toml", fly, `PORT = "(\d+)"`); got != port {
		t.Errorf("fly.toml PORT %s, want %s", got, port)
	}
	if got := match(t, "fly.toml", fly, `(?s)\[\[http_service\.checks\]\].*?path = "(\S+)"`); got != server.LivenessPath {
		t.Errorf("fly.toml routing check path %s, want %s", got, server.LivenessPath)
	}
	if got := match(t, "fly.toml", fly, `(?s)\[checks\.ready\].*?path = "(\S+)"`); got != server.ReadinessPath {
		t.Errorf("fly.toml readiness check path %s, want %s", got, server.ReadinessPath)
	}
	if got := match(t, "fly.toml", fly, `(?m)^kill_signal = "(\w+)"`); got != "SIGTERM" {
		t.Errorf("fly.toml kill_signal %s, want SIGTERM", got)
	}
	if got := atoi(t, match(t, "fly.toml", fly, `(?m)^kill_timeout = (\d+)`)); got <= drain {
		t.Errorf("fly.toml kill_timeout %d, want more than the %d s drain", got, drain)
	}

	docker := readFile(t, "Dockerfile")
	for _, want := range []string{
		"FROM golang:" + goLine + "-trixie AS build",
		"FROM gcr.io/distroless/static-debian13:nonroot",
		"-o /out/" + bin + " .", `ENTRYPOINT ["/` + bin + `"]`, "EXPOSE " + port, "PORT=" + port,
		"USER nonroot", "CGO_ENABLED=0", "STOPSIGNAL SIGTERM",
		`HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["/` + bin + `", "-healthcheck"]`,
		"org.opencontainers.image.version", "org.opencontainers.image.licenses=\"MIT\"",
	} {
		if !strings.Contains(docker, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^FROM `).FindAllString(docker, -1)); n != 2 || !strings.Contains(docker, "COPY --from=build") {
		t.Errorf("Dockerfile is not a two-stage build (%d FROM lines)", n)
	}
	if !strings.Contains(readFile(t, ".dockerignore"), ".git") {
		t.Errorf(".dockerignore does not leave out .git")
	}
}

// TestPlatformEnvironmentsStartInProduction feeds each platform's variables
// (generated secrets and add-on URLs filled in as the platform would) to the
// app's own configuration check: each must start in production, and every
// variable a file sets must be one the README documents.
func TestPlatformEnvironmentsStartInProduction(t *testing.T) {
	readme := readFile(t, "README.md")
	var heroku struct {
		Env map[string]struct {
			Value     string
			Generator string
		}
		Addons []string
	}
	if err := json.Unmarshal([]byte(readFile(t, "app.json")), &heroku); err != nil {
		t.Fatal(err)
	}
	herokuEnv := map[string]string{}
	for k, v := range heroku.Env {
		herokuEnv[k] = v.Value
		if v.Generator == "secret" {
			herokuEnv[k] = strings.Repeat("ab", 32) // Heroku makes 64 hex digits
		}
	}
	if len(heroku.Addons) != 1 || !strings.HasPrefix(heroku.Addons[0], "heroku-redis:") {
		t.Errorf("app.json add-ons %v, want Heroku's Redis", heroku.Addons)
	}
	herokuEnv["REDIS_URL"] = "rediss://:pw@ec2.example:6380" // set by the add-on

	renderEnv := map[string]string{}
	entry := regexp.MustCompile(`- key: (\w+)\n\s+(value: (\S+)|generateValue: true|fromService:)`)
	for _, m := range entry.FindAllStringSubmatch(readFile(t, "render.yaml"), -1) {
		switch {
		case m[3] != "":
			renderEnv[m[1]] = m[3]
		case strings.HasPrefix(m[2], "generateValue"):
			renderEnv[m[1]] = strings.Repeat("A", 44) // 256 random bits in base64
		default:
			renderEnv[m[1]] = "redis://red-example:6379"
		}
	}

	flyEnv := map[string]string{}
	fly := readFile(t, "fly.toml")
	section := fly[strings.Index(fly, "[env]"):]
	section = section[:strings.Index(section, "\n\n")]
	for _, m := range regexp.MustCompile(`(\w+) = "([^"]*)"`).FindAllStringSubmatch(section, -1) {
		flyEnv[m[1]] = m[2]
	}
	for _, secret := range regexp.MustCompile(`(\w+)=\S+`).FindAllStringSubmatch(match(t, "fly.toml", fly, `fly secrets set (.*)`), -1) {
		flyEnv[secret[1]] = strings.Repeat("f", 64)
	}
	flyEnv["REDIS_URL"] = "redis://default:pw@fly-redis.upstash.io:6379"

	for platform, vars := range map[string]map[string]string{"Heroku": herokuEnv, "Render": renderEnv, "Fly.io": flyEnv} {
		cfg, err := server.ConfigFromEnv(func(k string) string { return vars[k] })
		if err != nil || !cfg.Production || cfg.SecretGenerated || cfg.Redis.URL == "" {
			t.Errorf("%s: the app would not start in production with %v: %v", platform, vars, err)
		}
		for name := range vars {
			if !strings.Contains(readme, "| `"+name+"` |") {
				t.Errorf("%s sets %s, which the README's configuration table does not document", platform, name)
			}
		}
		if _, ok := vars["SESSION_SECRET"]; !ok {
			t.Errorf("%s provides no SESSION_SECRET", platform)
		}
	}
	// And without the secret, production refuses to start.
	if _, err := server.ConfigFromEnv(func(k string) string { return map[string]string{"APP_ENV": "production"}[k] }); err == nil {
		t.Error("production started without SESSION_SECRET")
	}
}

// install is installed for a test, which it skips with -short: building
// and starting the program takes seconds.
func install(t *testing.T) (string, error) {
	t.Helper()
	if testing.Short() {
		redistest.Skip(t, "builds and runs the program: not with -short")
	}
	return installed()
}

// slugDir is where installed put the program, removed by TestMain.
var slugDir string

// installed is the program as Heroku's Go buildpack builds it: `go install`
// with GOBIN pointing at bin/, in a folder that stands for the slug.
var installed = sync.OnceValues(func() (string, error) {
	slug, err := os.MkdirTemp("", "slug-")
	if err != nil {
		return "", err
	}
	slugDir = slug
	cmd := exec.Command("go", "install", ".")
	// GOFLAGS as Go's defaults have it (this machine's go env turns VCS
	// stamping off), so that a build in a Git checkout records its commit.
	cmd.Env = append(os.Environ(), "GOBIN="+filepath.Join(slug, "bin"), "GOFLAGS=-buildvcs=auto")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install: %v\n%s", err, out)
	}
	return slug, nil
})

// process is the app started from the Procfile's web command.
type process struct {
	cmd    *exec.Cmd
	base   string
	exited chan struct{} // closed when the process has exited
	err    error         // its exit, once exited is closed
}

func startProcfile(t *testing.T) *process {
	t.Helper()
	slug, err := install(t)
	if err != nil {
		t.Fatal(err)
	}
	web := strings.TrimPrefix(strings.TrimSpace(readFile(t, "Procfile")), "web: ")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cmd := exec.Command("/bin/sh", "-c", "exec "+web) // as the platform runs it, from the slug
	cmd.Dir = slug
	cmd.Env = append(os.Environ(), fmt.Sprintf("PORT=%d", port), "APP_ENV=", "REDIS_URL=", "SESSION_KEY_PREFIX=test-procfile:")
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		cmd.Env = append(cmd.Env, "REDIS_URL="+url)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if resp, err := http.Get(p.base + healthPath); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %s", web, healthPath)
		}
	}
}

func TestProcfileCommandServesSessions(t *testing.T) {
	p := startProcfile(t)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 5 * time.Second}
	type state struct {
		IsNew  bool `json:"is_new"`
		Cookie struct{ Value string }
		Values map[string]any `json:"values"`
	}
	get := func() state {
		t.Helper()
		resp, err := client.Get(p.base + "/api/session")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st state
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/session: %d %v", resp.StatusCode, err)
		}
		return st
	}
	first, second := get(), get()
	if !first.IsNew || second.IsNew || first.Cookie.Value != second.Cookie.Value || first.Values["value"] != second.Values["value"] {
		t.Errorf("the session did not carry over: %+v then %+v", first, second)
	}
	resp, err := client.Get(p.base + "/")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestSIGTERMDrainsInFlightRequest sends half a request, then SIGTERM: the
// process must stop taking connections yet finish that request, and exit 0.
func TestSIGTERMDrainsInFlightRequest(t *testing.T) {
	p := startProcfile(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := "name=a&value=slow-upload"
	fmt.Fprintf(conn, "POST /set HTTP/1.1\r\nHost: app\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5])
	time.Sleep(200 * time.Millisecond) // the server is now reading the body

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	select {
	case <-p.exited:
		t.Fatalf("exited with a request in flight: %v", p.err)
	default:
	}
	if c, err := net.DialTimeout("tcp", strings.TrimPrefix(p.base, "http://"), time.Second); err == nil {
		c.Close()
		t.Errorf("still accepting connections after SIGTERM")
	}

	fmt.Fprint(conn, body[5:])
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden { // no CSRF token: answered, not dropped
		t.Errorf("status %d, want the app's 403", resp.StatusCode)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("exit after SIGTERM: %v, want status 0", p.err)
		}
	case <-time.After(10 * time.Second):
		t.Error("did not exit within 10 s of SIGTERM")
	}
}

func TestMain(m *testing.M) {
	code := redistest.Main(m)
	if slugDir != "" {
		os.RemoveAll(slugDir)
	}
	os.Exit(code)
}

// TestProductionRefusesToStartWithoutSecret runs the installed program as a
// platform would with a missing or short secret: it must say why and exit
// with a non-zero status, before listening.
func TestProductionRefusesToStartWithoutSecret(t *testing.T) {
	slug, err := install(t)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"", strings.Repeat("s", server.MinSecretBytes-1)} {
		cmd := exec.Command(filepath.Join(slug, "bin", binaryName(t)))
		cmd.Env = append(os.Environ(), "APP_ENV=production", "SESSION_SECRET="+secret, "PORT=0", "REDIS_URL=")
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Errorf("secret of %d bytes: exit %v, want a non-zero status", len(secret), err)
		}
		if !strings.Contains(string(out), "SESSION_SECRET") || strings.Contains(string(out), "listening") {
			t.Errorf("secret of %d bytes: printed %q", len(secret), out)
		}
	}
}

// TestAppJSONWithinHerokuLimits: the app.json schema caps the description at
// 140 characters, and success_url must be a page the app serves.
func TestAppJSONWithinHerokuLimits(t *testing.T) {
	var app struct {
		Description string
		SuccessURL  string `json:"success_url"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "app.json")), &app); err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(app.Description)); n == 0 || n > 140 {
		t.Errorf("app.json description has %d characters, want 1 to 140", n)
	}
	base, _, _ := startRun(t, map[string]string{})
	resp, err := http.Get(base + app.SuccessURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasPrefix(app.SuccessURL, "/") || resp.StatusCode != http.StatusOK {
		t.Errorf("success_url %q answers %d, want a path the app serves with 200", app.SuccessURL, resp.StatusCode)
	}
}

// TestVersionFlagNamesTheBuild: the program as Heroku builds it (in a Git
// checkout) reports the commit it was built from.
func TestVersionFlagNamesTheBuild(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a Git checkout: %v", err)
	}
	slug, err := install(t)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(slug, "bin", binaryName(t)), "-version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); !strings.HasPrefix(got, strings.TrimSpace(string(head))) {
		t.Errorf("-version printed %q, want the commit %s", got, head)
	}
}

// TestDockerfileStampsTheVersion builds the program with the -X flag the
// Dockerfile passes (its build context has no .git), so a renamed variable
// cannot silently leave images unversioned.
func TestDockerfileStampsTheVersion(t *testing.T) {
	if testing.Short() {
		redistest.Skip(t, "builds the program: not with -short")
	}
	symbol := match(t, "Dockerfile", readFile(t, "Dockerfile"), `-X (\S+)=\$\{v\}`)
	bin := filepath.Join(t.TempDir(), "app")
	build := exec.Command("go", "build", "-buildvcs=false", "-ldflags", "-X "+symbol+"=v0.0.0-docker-test", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-version").Output()
	if got := strings.TrimSpace(string(out)); err != nil || got != "v0.0.0-docker-test" {
		t.Errorf("-version printed %q (%v), want the stamped v0.0.0-docker-test", got, err)
	}
}

// TestHealthcheckFlag is the image's HEALTHCHECK: exit 0 while the app on
// PORT serves, 1 once it is gone.
func TestHealthcheckFlag(t *testing.T) {
	p := startProcfile(t)
	check := func() error {
		cmd := exec.Command(filepath.Join(slugDir, "bin", binaryName(t)), "-healthcheck")
		cmd.Env = append(os.Environ(), "PORT="+p.base[strings.LastIndex(p.base, ":")+1:])
		return cmd.Run()
	}
	if err := check(); err != nil {
		t.Errorf("-healthcheck against a serving app: %v, want exit 0", err)
	}
	p.cmd.Process.Kill()
	<-p.exited
	if err := check(); err == nil {
		t.Error("-healthcheck with no app listening exited 0")
	}
}
