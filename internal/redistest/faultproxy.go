package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultProxy forwards Redis connections from a loopback port to a target
// server and injects faults at chosen commands: late commands, late or lost
// replies, cut connections, a stalled server. It splits each client's byte
// stream into commands and the server's stream into RESP2 or RESP3 replies,
// and pairs every reply with its command in request order; push messages
// (RESP3 ">") belong to no command and pass as they come.
//
// Commands whose replies come as push messages or not at all break that
// pairing: (P|S)SUBSCRIBE and their UNSUBSCRIBEs get no pairing (so faults on
// them only count down), but a pub/sub connection under RESP2, MONITOR and
// CLIENT REPLY OFF|SKIP are not supported. Inline commands are refused.
type FaultProxy struct {
	t      testing.TB
	target string
	ln     net.Listener
	ctx    context.Context // cancelled by Close: ends dials and held commands and replies
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and every connection's goroutines

	mu         sync.Mutex
	faults     []*armedFault // in Inject order; the first that matches a command takes it
	stallUntil time.Time
	wake       chan struct{} // closed and replaced when a stall changes
	seen       map[string]int
	conns      map[*proxyConn]struct{}
	closed     bool
}

// Fault says which commands to fault and how. A command matches when its name
// equals Command (case-insensitive; an empty Command matches every command)
// and, when KeyPrefix is set, its first argument starts with KeyPrefix. For
// EVAL, EVALSHA, FCALL and their _RO forms the first key counts instead of the
// first argument, which is the script.
type Fault struct {
	Command   string
	KeyPrefix string
	// Times is how many matching commands the fault takes, counted across all
	// connections: 0 means 1, and a negative number every one until Clear.
	Times  int
	Action Action
	// Delay is how long DelayReply holds a reply (from when it reaches the
	// proxy) and DelayCommand a command; for DropReply it is how long the
	// silenced connection stays open (0: until the client closes it).
	Delay time.Duration
}

// Action is what a Fault does to a command.
type Action int

const (
	// DelayReply forwards the command at once and holds its reply for Delay;
	// later replies on that connection wait behind it, as with a slow server.
	DelayReply Action = iota
	// DelayCommand holds the command for Delay before forwarding it: the
	// server runs it late, even when the client has given up meanwhile.
	// Later commands on that connection wait behind it.
	DelayCommand
	// DropReply forwards the command and swallows its reply. As every later
	// reply on that connection would answer the wrong command, the connection
	// then goes silent: its commands still reach the server, no reply reaches
	// the client, which waits for its read timeout (go-redis then closes the
	// connection). With a Delay the proxy closes the client's connection that
	// long after the swallowed reply arrived.
	DropReply
	// CutAfterCommand forwards the command and closes the client's connection
	// when its reply arrives, instead of forwarding it: the client gets the
	// replies of earlier commands, then EOF, and the command surely ran.
	// Commands the client sent after it on that connection never reach the
	// server.
	CutAfterCommand
)

// armedFault is an injected Fault with the number of matches it has left;
// negative for every match until Clear.
type armedFault struct {
	Fault
	left int
}

// drainTimeout bounds how long a connection whose client has gone waits for
// the server to answer the commands already forwarded, so that they run.
const drainTimeout = 5 * time.Second

// NewFaultProxy listens on a free loopback port and forwards each connection
// to target, a host:port; it closes the listener and every connection when
// the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &FaultProxy{t: t, target: target, ln: ln, ctx: ctx, cancel: cancel,
		wake: make(chan struct{}), seen: map[string]int{}, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's loopback address, "127.0.0.1:port".
func (p *FaultProxy) Addr() string { return p.ln.Addr().String() }

// URL is the proxy's redis:// URL.
func (p *FaultProxy) URL() string { return "redis://" + p.Addr() }

// Inject arms a fault for the next f.Times matching commands, on connections
// open now and opened later alike.
func (p *FaultProxy) Inject(f Fault) {
	if f.Action < DelayReply || f.Action > CutAfterCommand {
		panic(fmt.Sprintf("redistest: Inject with unknown Action %d", f.Action))
	}
	left := f.Times
	if left == 0 {
		left = 1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &armedFault{Fault: f, left: left})
}

// Stall holds every reply on every connection, pushes included, until d from
// now: a stalled server. Replies held by DelayReply wait for the stall too. A
// later Stall replaces the earlier one; d <= 0 ends a stall.
func (p *FaultProxy) Stall(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stallUntil = time.Now().Add(d)
	p.wakeLocked()
}

// Clear disarms every fault and ends a stall. Commands and replies held
// already stay held for their Delay.
func (p *FaultProxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
	p.stallUntil = time.Time{}
	p.wakeLocked()
}

// Seen returns how many commands named command (case-insensitive) the proxy
// has forwarded to the server, faulted or not, on every connection so far. A
// command counts as it is forwarded, before the server can have answered it;
// one held by DelayCommand counts once its delay is over.
func (p *FaultProxy) Seen(command string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[strings.ToUpper(command)]
}

// Close stops listening, closes every connection on both sides and waits
// until the proxy's goroutines have ended; held commands are never forwarded.
// It runs when the test ends; calling it earlier takes the proxy down, an
// outage that leaves the server up.
func (p *FaultProxy) Close() {
	p.mu.Lock()
	p.closed = true
	conns := make([]*proxyConn, 0, len(p.conns))
	for pc := range p.conns {
		conns = append(conns, pc)
	}
	p.mu.Unlock()
	p.cancel()
	p.ln.Close()
	for _, pc := range conns {
		pc.close()
	}
	p.wg.Wait()
}

// wakeLocked wakes the replies that wait for a stall, so that they see its
// new end.
func (p *FaultProxy) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		pc := &proxyConn{p: p, client: c, gone: make(chan struct{})}
		p.conns[pc] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go pc.run()
	}
}

// claim returns the first armed fault that matches the command and counts it
// down.
func (p *FaultProxy) claim(name string, args []string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, a := range p.faults {
		if a.Command != "" && !strings.EqualFold(a.Command, name) {
			continue
		}
		if key, ok := firstKey(name, args); a.KeyPrefix != "" && (!ok || !strings.HasPrefix(key, a.KeyPrefix)) {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				p.faults = slices.Delete(p.faults, i, i+1)
			}
		}
		return a.Fault, true
	}
	return Fault{}, false
}

// firstKey is the argument KeyPrefix applies to: the first one, or for a
// script or function call its first key.
func firstKey(name string, args []string) (string, bool) {
	switch name {
	case "EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO":
		if len(args) > 3 && args[2] != "0" {
			return args[3], true
		}
		return "", false
	}
	if len(args) > 1 {
		return args[1], true
	}
	return "", false
}

// waitStall waits until no stall holds replies; false means the connection
// or the proxy closed meanwhile.
func (p *FaultProxy) waitStall(gone <-chan struct{}) bool {
	for {
		p.mu.Lock()
		wait, wake := time.Until(p.stallUntil), p.wake
		p.mu.Unlock()
		if wait <= 0 {
			return true
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-wake:
			timer.Stop()
		case <-gone:
			timer.Stop()
			return false
		case <-p.ctx.Done():
			timer.Stop()
			return false
		}
	}
}

// report fails the test when a side sent bytes that are not RESP; a
// connection that merely ended is no failure.
func (p *FaultProxy) report(side string, err error) {
	var perr *protocolError
	if errors.As(err, &perr) {
		p.t.Errorf("FaultProxy: the %s sent no valid RESP: %v", side, err)
	}
}

// proxyConn is one client connection and its connection to the server. Its
// commands are forwarded by run, its replies by forwardReplies.
type proxyConn struct {
	p      *FaultProxy
	client net.Conn
	gone   chan struct{} // closed by close

	mu      sync.Mutex
	server  net.Conn
	pending []pending // forwarded commands whose replies have not arrived, oldest first
	closed  bool
}

// pending is what to do with the reply of one forwarded command.
type pending struct {
	armed  bool
	action Action
	delay  time.Duration
}

func (pc *proxyConn) run() {
	p := pc.p
	defer p.wg.Done()
	defer pc.close()
	d := net.Dialer{Timeout: 5 * time.Second}
	s, err := d.DialContext(p.ctx, "tcp", p.target)
	if err != nil {
		return // the client sees its connection close
	}
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		s.Close()
		return
	}
	pc.server = s
	pc.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		pc.forwardReplies()
	}()
	pc.forwardCommands()
	// The client has gone, or a cut ended the commands: the server answers
	// what it got, sees EOF and hangs up, which ends forwardReplies.
	if tc, ok := s.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	timer := time.NewTimer(drainTimeout)
	defer timer.Stop()
	select {
	case <-pc.gone:
	case <-timer.C:
	case <-p.ctx.Done():
	}
}

// forwardCommands reads the client's commands and forwards them one by one,
// claiming a fault for each, until the client's connection ends or a command
// is cut after.
func (pc *proxyConn) forwardCommands() {
	r := bufio.NewReader(pc.client)
	for {
		raw, args, err := readCommand(r)
		if err != nil {
			pc.p.report("client", err)
			return
		}
		if len(args) == 0 { // an empty array, which Redis ignores
			if _, err := pc.server.Write(raw); err != nil {
				return
			}
			continue
		}
		name := strings.ToUpper(args[0])
		f, armed := pc.p.claim(name, args)
		if armed && f.Action == DelayCommand && !pc.sleep(f.Delay) {
			return
		}
		if pairsReply(name) {
			pc.mu.Lock()
			pc.pending = append(pc.pending, pending{armed: armed, action: f.Action, delay: f.Delay})
			pc.mu.Unlock()
		}
		// Counted before the write, so that a test which has the reply sees
		// the count.
		pc.p.mu.Lock()
		pc.p.seen[name]++
		pc.p.mu.Unlock()
		if _, err := pc.server.Write(raw); err != nil {
			return
		}
		if armed && f.Action == CutAfterCommand {
			return
		}
	}
}

// pairsReply reports whether a command gets a reply that is not a push
// message, to be paired with it. Under RESP3 the subscribe commands are
// answered by push messages only.
func pairsReply(name string) bool {
	switch name {
	case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
		return false
	}
	return true
}

// forwardReplies reads the server's replies, pairs each with the oldest
// pending command and forwards, holds or swallows it, until the server's
// connection ends; then it closes both connections.
func (pc *proxyConn) forwardReplies() {
	defer pc.close()
	r := bufio.NewReader(pc.server)
	var buf []byte
	silent := false // no more replies reach the client
	for {
		raw, typ, err := readValue(r, buf[:0])
		buf = raw
		if err != nil {
			pc.p.report("server", err)
			return
		}
		var c pending
		if typ != '>' {
			pc.mu.Lock()
			if len(pc.pending) > 0 {
				c = pc.pending[0]
				pc.pending = pc.pending[1:]
			}
			pc.mu.Unlock()
		}
		switch {
		case silent:
			continue
		case c.armed && c.action == DelayReply:
			if !pc.sleep(c.delay) {
				return
			}
		case c.armed && c.action == DropReply:
			silent = true
			if c.delay > 0 {
				pc.p.wg.Add(1)
				go func() {
					defer pc.p.wg.Done()
					if pc.sleep(c.delay) {
						pc.client.Close()
					}
				}()
			}
			continue
		case c.armed && c.action == CutAfterCommand:
			silent = true
			pc.client.Close()
			continue
		}
		if !pc.p.waitStall(pc.gone) {
			return
		}
		if _, err := pc.client.Write(raw); err != nil {
			// The client has gone; keep reading, so that the server gets
			// to answer the commands it has.
			silent = true
		}
	}
}

// sleep waits for d; false means the connection or the proxy closed
// meanwhile.
func (pc *proxyConn) sleep(d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-pc.gone:
		return false
	case <-pc.p.ctx.Done():
		return false
	}
}

// close closes both connections, once.
func (pc *proxyConn) close() {
	pc.mu.Lock()
	if pc.closed {
		pc.mu.Unlock()
		return
	}
	pc.closed = true
	pc.client.Close()
	if pc.server != nil {
		pc.server.Close()
	}
	close(pc.gone)
	pc.mu.Unlock()
	pc.p.mu.Lock()
	delete(pc.p.conns, pc)
	pc.p.mu.Unlock()
}

// protocolError is bytes that are not RESP, as opposed to a connection that
// ended.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protoErrorf(format string, args ...any) error {
	return &protocolError{fmt.Sprintf(format, args...)}
}

// maxLen bounds a length or count, as Redis's proto-max-bulk-len does.
const maxLen = 512 << 20

// readLine reads one line through its CRLF. A clean end of the stream before
// it is io.EOF, an end within it io.ErrUnexpectedEOF.
func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) { // a long simple string or error
		line = slices.Clone(line) // ReadBytes reuses the buffer it points into
		var rest []byte
		rest, err = r.ReadBytes('\n')
		line = append(line, rest...)
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, protoErrorf("line %q does not end in CRLF", line)
	}
	return line, nil
}

// length parses the length or count of a "$3\r\n" or "*2\r\n" line; -1 is a
// RESP2 null.
func length(line []byte) (int, error) {
	n, err := strconv.Atoi(string(line[1 : len(line)-2]))
	if err != nil || n < -1 || n > maxLen {
		return 0, protoErrorf("bad length in %q", line)
	}
	return n, nil
}

// readBlob appends n bytes and their CRLF to buf.
func readBlob(r *bufio.Reader, buf []byte, n int) ([]byte, error) {
	start := len(buf)
	buf = slices.Grow(buf, n+2)[:start+n+2]
	if _, err := io.ReadFull(r, buf[start:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return buf, err
	}
	if buf[len(buf)-2] != '\r' || buf[len(buf)-1] != '\n' {
		return buf, protoErrorf("a string of %d bytes does not end in CRLF", n)
	}
	return buf, nil
}

// readValue appends one RESP2 or RESP3 value to buf, as the bytes that came,
// and returns its type byte. Attributes ("|") are read together with the
// value they describe, whose type is returned.
func readValue(r *bufio.Reader, buf []byte) ([]byte, byte, error) {
	line, err := readLine(r)
	if err != nil {
		return buf, 0, err
	}
	buf = append(buf, line...)
	typ := line[0]
	switch typ {
	case '+', '-', ':', '_', '#', ',', '(':
		return buf, typ, nil
	case '$', '!', '=':
		n, err := length(line)
		if err != nil || n == -1 {
			return buf, typ, err
		}
		buf, err = readBlob(r, buf, n)
		return buf, typ, err
	case '*', '~', '>', '%', '|':
		n, err := length(line)
		if err != nil {
			return buf, typ, err
		}
		if typ == '%' || typ == '|' {
			n *= 2
		}
		for range n {
			if buf, _, err = readValue(r, buf); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return buf, typ, err
			}
		}
		if typ == '|' {
			buf, typ, err = readValue(r, buf)
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
		}
		return buf, typ, err
	}
	return buf, typ, protoErrorf("unknown type in %q", line)
}

// readCommand reads one command, an array of bulk strings, and returns its
// bytes and its arguments, the name first.
func readCommand(r *bufio.Reader) (raw []byte, args []string, err error) {
	line, err := readLine(r)
	if err != nil {
		return nil, nil, err
	}
	if line[0] != '*' {
		return nil, nil, protoErrorf("%q starts no array of bulk strings (inline commands are not supported)", line)
	}
	n, err := length(line)
	if err != nil {
		return nil, nil, err
	}
	raw = append(raw, line...)
	for range n {
		line, err := readLine(r)
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return raw, nil, err
		}
		if line[0] != '$' {
			return raw, nil, protoErrorf("command argument %q is no bulk string", line)
		}
		m, err := length(line)
		if err != nil || m < 0 {
			return raw, nil, protoErrorf("bad bulk string length in %q", line)
		}
		raw = append(raw, line...)
		start := len(raw)
		if raw, err = readBlob(r, raw, m); err != nil {
			return raw, nil, err
		}
		args = append(args, string(raw[start:start+m]))
	}
	return raw, args, nil
}
