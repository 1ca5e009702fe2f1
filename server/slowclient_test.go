package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveApp serves app over a loopback listener, as main does, until the
// test ends, and returns its address.
func serveApp(t *testing.T, app *App) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := app.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return l.Addr().String()
}

// TestSlowClientsAreCut is a Slowloris attack on loopback: 200 connections
// that send their request line or headers a byte every 100 ms. The server
// must close every one of them when the header timeout runs out (sending a
// byte now and then must not extend it), while a normal client's health
// checks keep answering. Each attacker stops by itself after 3 s, so the
// test ends even against a server with no timeout.
func TestSlowClientsAreCut(t *testing.T) {
	const (
		headerTimeout = 300 * time.Millisecond
		attackers     = 200
		drip          = 100 * time.Millisecond
		drips         = 30
		slack         = time.Second // for accepting 200 connections at once, under -race
	)
	app := newTestApp(t, testConfig(t), testRedis(t))
	app.limits.ReadHeaderTimeout = headerTimeout
	addr := serveApp(t, app)

	stopProbes, probesDone := make(chan struct{}), make(chan []probe)
	go func() { probesDone <- probeHealth(addr, stopProbes) }()

	closedAfter := make([]time.Duration, attackers)
	var wg sync.WaitGroup
	for i := range attackers {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		opened := time.Now()
		wg.Go(func() { closedAfter[i] = attack(c, opened, i%2 == 0, drip, drips) })
	}
	wg.Wait()
	close(stopProbes)
	probes := <-probesDone

	for i, d := range closedAfter {
		if d < 0 {
			t.Errorf("connection %d still open after %v: the server did not cut it", i, drips*drip)
		} else if d > headerTimeout+slack {
			t.Errorf("connection %d closed after %v, want about the header timeout %v", i, d, headerTimeout)
		}
	}
	var slowest time.Duration
	for _, p := range probes {
		if p.status != http.StatusOK {
			t.Errorf("GET %s during the attack: %d (%v)", p.path, p.status, p.err)
		}
		slowest = max(slowest, p.took)
	}
	if len(probes) < 5 {
		t.Errorf("only %d health checks during the attack", len(probes))
	}
	slices.Sort(closedAfter)
	t.Logf("%d slow connections: closed by the server after %v (first) to %v (last), median %v; header timeout %v",
		attackers, closedAfter[0], closedAfter[attackers-1], closedAfter[attackers/2], headerTimeout)
	t.Logf("%d health checks (/livez, /healthz) during the attack; slowest %v", len(probes), slowest)
}

// attack sends the start of a request on c, then one more byte every drip,
// drips times at most, until the server closes c. It returns how long after
// opened the server closed c, or -1 when it never did.
func attack(c net.Conn, opened time.Time, inRequestLine bool, drip time.Duration, drips int) time.Duration {
	head := "GET / HTTP/1.1\r\nHost: app.example\r\nX-Slow: "
	if inRequestLine {
		head = "GET /?q="
	}
	closed := make(chan struct{})
	go func() {
		if _, err := io.WriteString(c, head); err != nil {
			return
		}
		for range drips {
			select {
			case <-closed:
				return
			case <-time.After(drip):
			}
			if _, err := c.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	defer close(closed)
	c.SetReadDeadline(opened.Add(time.Duration(drips) * drip))
	// The server answers a header timeout by closing: EOF, or a reset when
	// a byte of ours was still unread.
	_, err := io.Copy(io.Discard, c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return -1
	}
	return time.Since(opened)
}

// probe is one health check asked during the attack.
type probe struct {
	path   string
	status int
	took   time.Duration
	err    error
}

// probeHealth asks /livez and /healthz in turn, every 20 ms, until stop
// closes.
func probeHealth(addr string, stop <-chan struct{}) []probe {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	var probes []probe
	for i := 0; ; i++ {
		select {
		case <-stop:
			return probes
		case <-time.After(20 * time.Millisecond):
		}
		p := probe{path: []string{LivenessPath, ReadinessPath}[i%2]}
		start := time.Now()
		resp, err := client.Get("http://" + addr + p.path)
		p.took, p.err = time.Since(start), err
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			p.status = resp.StatusCode
		}
		probes = append(probes, p)
	}
}

// TestHeaderAndBodyLimits: a header block over MaxHeaderBytes is refused
// with 431 by the server, one of a size browsers send is served, and the
// app's own body limit (413 over 64 KiB) is unchanged.
func TestHeaderAndBodyLimits(t *testing.T) {
	app := newTestApp(t, testConfig(t), testRedis(t))
	addr := serveApp(t, app)
	for _, tc := range []struct {
		name    string
		request string
		want    int
	}{
		{"8 KiB of headers", "GET /livez HTTP/1.1\r\nHost: app.example\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 200},
		{"32 KiB of headers", "GET /livez HTTP/1.1\r\nHost: app.example\r\nX-Big: " + strings.Repeat("a", 32<<10) + "\r\n\r\n", 431},
		{"many small headers", "GET /livez HTTP/1.1\r\nHost: app.example\r\n" + strings.Repeat("X-Many: aaaaaaaaaaaaaaaaaaaaaaaa\r\n", 1000) + "\r\n", 431},
		{"body over 64 KiB", fmt.Sprintf("POST /set HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", 100<<10, strings.Repeat("a", 100<<10)), 413},
	} {
		if got := rawStatus(t, addr, tc.request); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

// rawStatus sends request as it is on a new connection and returns the
// status of the answer.
func rawStatus(t *testing.T, addr, request string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
