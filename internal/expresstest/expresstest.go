// Package expresstest runs the tutorial's Express app (testdata/express:
// express-session with connect-redis) as a child process for a test, so
// that tests can show the Go app and Express sharing sessions in one Redis.
//
// It needs Node.js and the app's packages (`npm ci` in testdata/express).
// Without them a test that starts the app skips, naming what to install;
// with REQUIRE_NODE=1 (CI sets it after `npm ci`) it fails instead, so that
// CI cannot pass by skipping. -short skips it too: starting Node is slow.
package expresstest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"redis-session-demo/internal/redistest"
)

// Dir is the Express app's directory, relative to the module root.
const Dir = "testdata/express"

// startTimeout bounds how long the app may take to connect to Redis and
// listen.
const startTimeout = 15 * time.Second

// App is one running Express app.
type App struct {
	url string
	out *lockedBuffer
}

// URL is the app's base URL, such as http://127.0.0.1:41234. It names the
// host as 127.0.0.1, as the tests name the Go app, because a cookie jar
// keeps cookies per host, not per port.
func (a *App) URL() string { return a.url }

// Output is what the app printed so far, stdout and stderr together.
func (a *App) Output() string { return a.out.String() }

// Start runs `node server.js` in testdata/express with the environment of
// the test process plus env (PORT is set to 0: the app listens on a free
// loopback port and prints it). It returns once the app listens, and kills
// it when the test ends, logging its output if the test failed.
func Start(t testing.TB, env map[string]string) *App {
	t.Helper()
	node, dir := need(t)

	cmd := exec.Command(node, "server.js")
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v) // later entries win
	}
	cmd.Env = append(cmd.Env, "PORT=0")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the Express app: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("Express app output:\n%s", out)
		}
	})

	listening := regexp.MustCompile(`listening on (\d+)`)
	for deadline := time.Now().Add(startTimeout); ; time.Sleep(20 * time.Millisecond) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			return &App{url: "http://127.0.0.1:" + m[1], out: out}
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			t.Fatalf("the Express app exited before it listened (%v):\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Express app did not listen within %v:\n%s", startTimeout, out)
		}
	}
}

// need returns the path of node and of the app's directory, or skips the
// test (fails it under REQUIRE_NODE=1) when either is missing.
func need(t testing.TB) (node, dir string) {
	t.Helper()
	if testing.Short() {
		redistest.Skip(t, "starts the Express app under Node.js, which -short leaves out")
	}
	missing := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("REQUIRE_NODE") == "1" {
			t.Fatal("REQUIRE_NODE=1 but " + msg)
		}
		redistest.Skip(t, msg)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Join(root, Dir)
	node, err = exec.LookPath("node")
	if err != nil {
		missing("node is not installed: install Node.js 20 or later (Debian: apt-get install nodejs npm), then run `npm ci` in %s", Dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "express-session")); err != nil {
		missing("the Express app's packages are not installed: run `npm ci` in %s", Dir)
	}
	return node, dir
}

// moduleRoot is the nearest directory at or above the working directory
// (go test runs a test in its package's directory) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("expresstest: no go.mod at or above the working directory")
		}
		dir = parent
	}
}

// lockedBuffer collects the app's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
