package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"redis-session-demo/internal/redisconn"
	"redis-session-demo/internal/redistest"
)

// These tests start real redis-server processes in the topologies the app
// supports besides a plain TCP server: TLS, a unix socket, a cluster and a
// sentinel-managed master with a replica. Each process listens on loopback
// only, keeps nothing on disk and is killed when its test ends.

// plainClient is a go-redis client of the test's own, without the app's
// hooks and timeouts.
func plainClient(t *testing.T, opts *redis.Options) *redis.Client {
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

func keyExists(t *testing.T, c redis.Cmdable, key string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.Exists(ctx, key).Result()
	if err != nil {
		t.Fatalf("EXISTS %s: %v", key, err)
	}
	return n == 1
}

// mustPost sends a form POST and expects the app's 303.
func mustPost(t *testing.T, b *browser, path string, f ...string) {
	t.Helper()
	if resp, body := b.post(path, form(f...)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: status %d: %s", path, resp.StatusCode, firstLine(body))
	}
}

// testPKI is a CA and a server certificate it signed for 127.0.0.1 and
// localhost, written as PEM files.
type testPKI struct {
	caFile, certFile, keyFile string
	roots                     *x509.CertPool
}

func newTestPKI(t *testing.T, dir string) testPKI {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	must(err)
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "redis-session-demo test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(cryptorand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	must(err)
	ca, err := x509.ParseCertificate(caDER)
	must(err)

	key, err := ecdsa.GenerateKey(elliptic.P256(), cryptorand.Reader)
	must(err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	certDER, err := x509.CreateCertificate(cryptorand.Reader, template, ca, &key.PublicKey, caKey)
	must(err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	must(err)

	p := testPKI{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "server.pem"),
		keyFile: filepath.Join(dir, "server.key"), roots: x509.NewCertPool()}
	p.roots.AddCert(ca)
	must(os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644))
	must(os.WriteFile(p.certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}), 0o644))
	must(os.WriteFile(p.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return p
}

// verifiedTLS trusts the test CA, and only it.
func (p testPKI) verifiedTLS() *tls.Config {
	return &tls.Config{RootCAs: p.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// TestRedisOverTLS runs the app against a redis-server that speaks only TLS,
// with a certificate from a CA the system does not trust.
func TestRedisOverTLS(t *testing.T) {
	rr := redistest.NeedServer(t)
	pki := newTestPKI(t, rr.Dir)
	verified := func(port int) *redis.Client {
		return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), TLSConfig: pki.verifiedTLS(), MaxRetries: -1})
	}
	srv := rr.Start("tls", redistest.TCPPort, func(port int) []string {
		return []string{"--port", "0", "--bind", "127.0.0.1", "--tls-port", strconv.Itoa(port),
			"--tls-cert-file", pki.certFile, "--tls-key-file", pki.keyFile,
			"--tls-ca-cert-file", pki.caFile, "--tls-auth-clients", "no"}
	}, func(ctx context.Context, port int) error {
		c := verified(port)
		defer c.Close()
		return c.Ping(ctx).Err()
	})
	url := "rediss://" + srv.Addr()
	own := verified(srv.Port)
	t.Cleanup(func() { own.Close() })

	t.Run("verified by default", func(t *testing.T) {
		rdb, err := redisconn.Connect(redisconn.Settings{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err = rdb.Client.Ping(ctx).Err()
		if err == nil {
			t.Fatal("PING succeeded although the server's CA is not trusted: the certificate was not verified")
		}
		if !strings.Contains(err.Error(), "certificate") {
			t.Errorf("PING failed with %q, want a certificate verification error", err)
		}
	})

	t.Run("a client trusting the CA verifies the certificate", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := own.Ping(ctx).Err(); err != nil {
			t.Fatalf("PING with the CA in RootCAs: %v", err)
		}
	})

	t.Run("skip verify works end to end", func(t *testing.T) {
		rdb, err := redisconn.Connect(redisconn.Settings{URL: url, TLSSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
		if want := "redis-cli -h 127.0.0.1 -p " + strconv.Itoa(srv.Port) + " --tls --insecure"; rdb.CLI != want {
			t.Errorf("CLI = %q, want %q", rdb.CLI, want)
		}
		b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), rdb)))
		st := b.state()
		if !st.IsNew || st.Redis.Key == "" {
			t.Fatalf("GET /api/session did not create a session: %+v", st)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		raw, err := own.Get(ctx, st.Redis.Key).Result()
		if err != nil {
			t.Fatalf("GET %s on the TLS server: %v", st.Redis.Key, err)
		}
		if raw != st.Redis.Raw {
			t.Errorf("the TLS server holds %q, the app showed %q", raw, st.Redis.Raw)
		}
		if values := redisValues(t, own, st.Redis.Key); values["value"] != st.Values["value"] {
			t.Errorf("stored value %v, app shows %v", values["value"], st.Values["value"])
		}
		// The command the page shows reaches the key too, as it stands.
		args := append(strings.Fields(rdb.CLI), "GET", st.Redis.Key)
		out, err := exec.Command(rr.CLI, args[1:]...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != st.Redis.Raw {
			t.Errorf("%s: %v, printed %q; want %q", strings.Join(args, " "), err, out, st.Redis.Raw)
		}
	})
}

// TestRedisOverUnixSocket runs the app against a redis-server that listens
// on a unix socket only.
func TestRedisOverUnixSocket(t *testing.T) {
	rr := redistest.NeedServer(t)
	sock := filepath.Join(rr.Dir, "redis.sock")
	rr.Start("unix", redistest.NoPort, func(int) []string {
		return []string{"--port", "0", "--unixsocket", sock, "--unixsocketperm", "700"}
	}, func(ctx context.Context, _ int) error {
		c := redis.NewClient(&redis.Options{Network: "unix", Addr: sock, MaxRetries: -1})
		defer c.Close()
		return c.Ping(ctx).Err()
	})
	own := plainClient(t, &redis.Options{Network: "unix", Addr: sock})

	rdb, err := redisconn.Connect(redisconn.Settings{URL: "unix://" + sock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if want := "redis-cli -s " + sock; rdb.CLI != want {
		t.Errorf("CLI = %q, want %q", rdb.CLI, want)
	}
	b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), rdb)))
	st := b.state()
	if !st.IsNew {
		t.Fatalf("GET /api/session did not create a session: %+v", st)
	}
	mustPost(t, b, "/set", "_csrf", st.CSRFToken, "name", "color", "value", "blue")
	again := b.state()
	if again.IsNew || again.Cookie.Value != st.Cookie.Value || again.Values["color"] != "blue" ||
		again.Values["value"] != st.Values["value"] {
		t.Fatalf("after POST /set the session is %+v, want the same session with color=blue", again)
	}
	values := redisValues(t, own, st.Redis.Key)
	if values["color"] != "blue" || values["value"] != st.Values["value"] {
		t.Errorf("Redis holds %v, want color=blue and value=%v", values, st.Values["value"])
	}

	// The one-shot command the page shows prints the stored JSON.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := append(strings.Fields(rdb.CLI), "GET", st.Redis.Key)
	out, err := exec.CommandContext(ctx, rr.CLI, args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
	raw, _ := own.Get(ctx, st.Redis.Key).Result()
	if got := strings.TrimSpace(string(out)); got != raw || !strings.Contains(got, `"color":"blue"`) {
		t.Errorf("%s printed %q, want the stored JSON %q", strings.Join(args, " "), got, raw)
	}
}

// TestRedisCluster runs the app against a three-master Redis Cluster: the
// session key, its lock key and its flash key hash to different slots, so
// they live on different nodes.
func TestRedisCluster(t *testing.T) {
	nodes := redistest.NeedServer(t).StartCluster(3)
	var addrs []string
	direct := make([]*redis.Client, len(nodes))
	for i, n := range nodes {
		addrs = append(addrs, n.Addr())
		direct[i] = plainClient(t, &redis.Options{Addr: n.Addr()})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })

	url := "redis://" + addrs[0] + "?addr=" + addrs[1] + "&addr=" + addrs[2]
	connect := func() *redisconn.Conn {
		rdb, err := redisconn.Connect(redisconn.Settings{URL: url, Mode: "cluster"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
		return rdb
	}
	rdb := connect()
	if want := "redis-cli -c -h 127.0.0.1 -p " + strconv.Itoa(nodes[0].Port); rdb.CLI != want {
		t.Errorf("CLI = %q, want %q", rdb.CLI, want)
	}
	cfg := testConfig(t)
	srv := startServer(t, newTestApp(t, cfg, rdb))

	t.Run("sessions spread over the masters", func(t *testing.T) {
		const sessions = 12
		for i := range sessions {
			st := newBrowser(t, srv).state()
			if !st.IsNew || redisValues(t, cc, st.Redis.Key)["value"] != st.Values["value"] {
				t.Fatalf("session %d: app shows %+v, the cluster holds %v", i, st, redisValues(t, cc, st.Redis.Key))
			}
		}
		total, holders := 0, 0
		var spread []string
		for i, c := range direct {
			keys, err := scanKeys(ctx, c, cfg.KeyPrefix+"*") // this node's keys only
			if err != nil {
				t.Fatal(err)
			}
			total += len(keys)
			if len(keys) > 0 {
				holders++
			}
			spread = append(spread, fmt.Sprintf("%s: %d", nodes[i].Addr(), len(keys)))
		}
		t.Logf("session keys per master: %s", strings.Join(spread, ", "))
		// The session browser walks every master, not just one.
		if _, body := newBrowser(t, srv).get("/sessions"); !strings.Contains(body, fmt.Sprintf("<strong>%d sessions under</strong>", total)) {
			t.Errorf("/sessions does not count the %d sessions of all masters", total)
		}
		if total != sessions || holders < 2 {
			t.Errorf("the masters hold %d session keys on %d nodes (%s), want %d keys on more than one",
				total, holders, strings.Join(spread, ", "), sessions)
		}
	})

	t.Run("set, delete, rotate, destroy", func(t *testing.T) {
		b := newBrowser(t, srv)
		st := b.state()
		key := st.Redis.Key
		mustPost(t, b, "/set", "_csrf", st.CSRFToken, "name", "color", "value", "blue")
		if v := redisValues(t, cc, key); v["color"] != "blue" || v["value"] != st.Values["value"] {
			t.Fatalf("after set Redis holds %v", v)
		}
		mustPost(t, b, "/delete", "_csrf", st.CSRFToken, "name", "color")
		if v := redisValues(t, cc, key); v == nil || v["color"] != nil || v["value"] != st.Values["value"] {
			t.Fatalf("after delete Redis holds %v, want value only", v)
		}
		mustPost(t, b, "/set", "_csrf", st.CSRFToken, "name", "team", "value", "red")
		mustPost(t, b, "/rotate", "_csrf", st.CSRFToken)
		rotated := b.state()
		if rotated.IsNew || rotated.Cookie.Value == st.Cookie.Value || rotated.Redis.Key == key {
			t.Fatalf("after rotate the session is %+v, want the values under a new ID", rotated)
		}
		if keyExists(t, cc, key) {
			t.Errorf("rotate left the old key %s", key)
		}
		if v := redisValues(t, cc, rotated.Redis.Key); v["team"] != "red" || v["value"] != st.Values["value"] || len(v) != 2 {
			t.Errorf("the new key %s holds %v, want team=red and value=%v", rotated.Redis.Key, v, st.Values["value"])
		}
		mustPost(t, b, "/destroy", "_csrf", rotated.CSRFToken)
		if keyExists(t, cc, rotated.Redis.Key) {
			t.Errorf("destroy left the key %s", rotated.Redis.Key)
		}
		if c := b.cookie(cfg.CookieName); c != "" {
			t.Errorf("destroy left the cookie %q", c)
		}
		for _, k := range []string{"lock:" + key, "lock:" + rotated.Redis.Key} {
			if keyExists(t, cc, k) {
				t.Errorf("lock %s was not released", k)
			}
		}
	})

	t.Run("concurrent sets are not lost", func(t *testing.T) {
		// As TestConcurrentSetsAreNotLost: two app instances, 30 writers with
		// distinct names and page loads beside them, on one session.
		first := newBrowser(t, srv)
		st := first.state()
		second := newBrowser(t, startServer(t, newTestApp(t, cfg, connect())))
		second.setCookie(cfg.CookieName, st.Cookie.Value)
		concurrentSets(t, cc, st.CSRFToken, st.Redis.Key, first, second)
	})
}

// TestRedisSentinelFailover runs the app against a master and a replica
// watched by a sentinel, fails over to the replica, and expects the same
// app, without a restart, to serve and change the sessions on the new master.
func TestRedisSentinelFailover(t *testing.T) {
	testStarted := time.Now()
	rr := redistest.NeedServer(t)
	// Diskless full syncs start at once, not after the default 5 s delay.
	master := rr.Start("master", redistest.TCPPort, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--repl-diskless-sync-delay", "0"}
	}, redistest.PingTCP)
	replica := rr.Start("replica", redistest.TCPPort, func(port int) []string {
		return []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--repl-diskless-sync-delay", "0",
			"--replicaof", "127.0.0.1", strconv.Itoa(master.Port)}
	}, redistest.PingTCP)
	onMaster := plainClient(t, &redis.Options{Addr: master.Addr()})
	onReplica := plainClient(t, &redis.Options{Addr: replica.Addr()})
	infoHas := func(c *redis.Client, want ...string) func(context.Context) error {
		return func(ctx context.Context) error {
			info, err := c.Info(ctx, "replication").Result()
			if err != nil {
				return err
			}
			for _, w := range want {
				if !strings.Contains(info, w) {
					return fmt.Errorf("INFO replication lacks %q:\n%s", w, info)
				}
			}
			return nil
		}
	}
	if err := replica.WaitUntil(15*time.Second, infoHas(onReplica, "master_link_status:up")); err != nil {
		t.Fatalf("the replica never synced: %v\n%s", err, replica.LogTail())
	}

	// The sentinel rewrites its config file, so it lives in the test's
	// writable directory.
	conf := filepath.Join(rr.Dir, "sentinel.conf")
	sentinel := rr.Start("sentinel", redistest.TCPPort, func(port int) []string {
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor mymaster 127.0.0.1 %d 1\n"+
			"sentinel down-after-milliseconds mymaster 1000\n"+
			"sentinel failover-timeout mymaster 5000\n", port, rr.Dir, master.Port)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return []string{conf, "--sentinel"}
	}, redistest.PingTCP)
	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel.Addr()})
	t.Cleanup(func() { sc.Close() })
	if err := sentinel.WaitUntil(15*time.Second, func(ctx context.Context) error {
		replicas, err := sc.Replicas(ctx, "mymaster").Result()
		if err != nil {
			return err
		}
		for _, r := range replicas {
			if r["port"] == strconv.Itoa(replica.Port) && r["flags"] == "slave" && r["master-link-status"] == "ok" {
				return nil
			}
		}
		return fmt.Errorf("SENTINEL REPLICAS mymaster: %v", replicas)
	}); err != nil {
		t.Fatalf("the sentinel never saw the replica: %v\n%s", err, sentinel.LogTail())
	}

	t.Logf("master, replica and sentinel ready after %v", time.Since(testStarted).Round(time.Millisecond))
	rdb, err := redisconn.Connect(redisconn.Settings{URL: "redis://" + sentinel.Addr() + "?master_name=mymaster", Mode: "sentinel"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	if !strings.Contains(rdb.CLI, "-p "+strconv.Itoa(sentinel.Port)+" SENTINEL get-master-addr-by-name mymaster") {
		t.Errorf("CLI = %q, want it to ask the sentinel for the master", rdb.CLI)
	}
	b := newBrowser(t, startServer(t, newTestApp(t, testConfig(t), rdb)))
	st := b.state()
	mustPost(t, b, "/set", "_csrf", st.CSRFToken, "name", "before", "value", "failover")
	key := st.Redis.Key
	if v := redisValues(t, onMaster, key); v["before"] != "failover" {
		t.Fatalf("the master holds %v, want before=failover", v)
	}
	// Replication is asynchronous: fail over only once the replica has it.
	want, _ := onMaster.Get(context.Background(), key).Result()
	if err := replica.WaitUntil(10*time.Second, func(ctx context.Context) error {
		if got, _ := onReplica.Get(ctx, key).Result(); got != want {
			return fmt.Errorf("the replica holds %q, the master %q", got, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// Clients learn of a failover from the sentinel's +switch-master
	// message; go-redis's failover client subscribes to it, and so does the
	// test, to tell when the failover has ended.
	switchMaster := sc.Subscribe(context.Background(), "+switch-master")
	t.Cleanup(func() { switchMaster.Close() })
	if _, err := switchMaster.ReceiveTimeout(context.Background(), 5*time.Second); err != nil {
		t.Fatalf("SUBSCRIBE +switch-master on the sentinel: %v", err)
	}
	started := time.Now()
	if err := sentinel.WaitUntil(10*time.Second, func(ctx context.Context) error {
		err := sc.Failover(ctx, "mymaster").Err()
		if err != nil && strings.HasPrefix(err.Error(), "INPROG") {
			return nil
		}
		return err // NOGOODSLAVE until the sentinel has fresh replica info
	}); err != nil {
		t.Fatalf("SENTINEL FAILOVER mymaster: %v\n%s", err, sentinel.LogTail())
	}
	if err := sentinel.WaitUntil(20*time.Second, func(ctx context.Context) error {
		addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		if err == nil && (len(addr) != 2 || addr[1] != strconv.Itoa(replica.Port)) {
			err = fmt.Errorf("the master is still %v", addr)
		}
		return err
	}); err != nil {
		t.Fatalf("the sentinel never named the replica as master: %v\n%s", err, sentinel.LogTail())
	}
	named := time.Since(started)
	// get-master-addr-by-name names the promoted replica while the sentinel
	// still reconfigures replicas; +switch-master comes when it is done.
	// Until then the app's client keeps its connections to the old master,
	// which still takes writes.
	select {
	case msg := <-switchMaster.Channel():
		if !strings.HasSuffix(msg.Payload, " "+strconv.Itoa(replica.Port)) {
			t.Fatalf("+switch-master %q does not name the replica (port %d)", msg.Payload, replica.Port)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no +switch-master within 20 s of SENTINEL FAILOVER\n%s", sentinel.LogTail())
	}
	t.Logf("after SENTINEL FAILOVER the sentinel named the replica as master in %v, published +switch-master in %v",
		named.Round(time.Millisecond), time.Since(started).Round(time.Millisecond))

	// The sentinel turns the old master into a replica of the new one only
	// some 10 s later (+convert-to-slave). Until then the old master still
	// takes writes, and one that lands there is lost, as in any asynchronous
	// failover. Take the sentinel's step now: a client that still used the
	// old master gets READONLY instead of silently losing the change.
	if err := onMaster.ReplicaOf(context.Background(), "127.0.0.1", strconv.Itoa(replica.Port)).Err(); err != nil {
		t.Fatalf("REPLICAOF on the old master: %v", err)
	}

	// The same app serves the session written before the failover...
	switched := time.Now()
	var after sessionState
	unavailable := 0
	retry := func(what string, try func() (int, string)) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; {
			status, body := try()
			if status != http.StatusServiceUnavailable {
				return
			}
			unavailable++
			if time.Now().After(deadline) {
				t.Fatalf("%s: still 503 after %v: %s", what, time.Since(switched).Round(time.Millisecond), firstLine(body))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	retry("GET /api/session", func() (int, string) {
		resp, body := b.get("/api/session")
		if resp.StatusCode == http.StatusOK {
			after = decodeState(t, body)
		}
		return resp.StatusCode, body
	})
	if after.IsNew || after.Cookie.Value != st.Cookie.Value || after.Values["before"] != "failover" ||
		after.Values["value"] != st.Values["value"] {
		t.Fatalf("after the failover the session is %+v, want the one from before with before=failover", after)
	}
	// ...and changes it on the new master.
	retry("POST /set", func() (int, string) {
		resp, body := b.post("/set", form("_csrf", st.CSRFToken, "name", "after", "value", "failover"))
		if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("POST /set after the failover: status %d: %s", resp.StatusCode, firstLine(body))
		}
		return resp.StatusCode, body
	})
	t.Logf("the app served and changed the session %v after the switch, with %d answers 503 meanwhile",
		time.Since(switched).Round(time.Millisecond), unavailable)
	if v := redisValues(t, onReplica, key); v["before"] != "failover" || v["after"] != "failover" {
		t.Errorf("the new master holds %v, want before and after", v)
	}
	if err := replica.WaitUntil(time.Second, infoHas(onReplica, "role:master")); err != nil {
		t.Errorf("the former replica is not a master: %v", err)
	}
}
