package server

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/sessionstore"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/rbcervilla/redisstore/v9"
)

const (
	raceDefaultWriters = 30
	raceMinWriters     = 2
	// raceMaxWriters bounds the locked side, whose writers take turns, and
	// whose waiters poll with pauses of up to 20 ms: 50 of them take some
	// 70-120 ms on a local redis-server (about 200 ms under the race
	// detector), far inside the request's 1.5 s deadline, which leaves room
	// for a Redis across a network.
	raceMaxWriters = 50
	// raceShownWriters is how many writers' commands the timeline shows,
	// and raceMaxSteps how many of their commands at most.
	raceShownWriters = 3
	raceMaxSteps     = 40
	// labCleanupTimeout bounds a lab's clean-up, which runs even after the
	// request's deadline has passed.
	labCleanupTimeout = 500 * time.Millisecond
	// raceCounter is the session value every writer increments.
	raceCounter = "counter"
)

// raceStep is one command of the timeline: which writer sent it, and when
// its reply arrived, in milliseconds since the writers were released.
type raceStep struct {
	Writer  int // its launch number, 1..N
	Rank    int // 1..raceShownWriters: the order in which the shown writers read
	At      string
	Command string
	Reply   string
	at      time.Duration
}

// raceSide is what N writers did to one counter through one store.
type raceSide struct {
	TitleKey string
	Locked   bool
	Sent     int   // increments the writers made, each one confirmed
	Survived int64 // the counter Redis holds afterwards
	Lost     int64
	Wall     string // from the release of the writers until the last one ended
	Commands int    // Redis commands of all writers
	Shown    []int  // the writers of the timeline, in the order they read
	Timeline []raceStep
	Hidden   int // commands of the shown writers left out of the timeline
}

// raceResult is one run of the race lab.
type raceResult struct {
	Writers         int
	SessionKey      string
	Stock, Hardened raceSide
	LeftBehind      int64 // lab keys still in Redis after the clean-up: 0
}

// Sides lists the two sides in the order the page shows them.
func (r *raceResult) Sides() []raceSide { return []raceSide{r.Stock, r.Hardened} }

// racePage is the data of /lab/race.
type racePage struct {
	page
	CSRFToken              string
	Writers                int // the form's value
	MinWriters, MaxWriters int
	Result                 *raceResult
}

func (a *App) racePage(c echo.Context, id string, writers int, res *raceResult) racePage {
	return racePage{page: a.page(c, "race.title"), CSRFToken: csrfToken(a.cfg.Secret, id),
		Writers: writers, MinWriters: raceMinWriters, MaxWriters: raceMaxWriters, Result: res}
}

// showRaceLab explains the lab. It opens the visitor's session like the
// main page, because running the lab is a POST that needs a CSRF token.
func (a *App) showRaceLab(c echo.Context) error {
	v, err := a.sessions.Open(c.Response(), c.Request())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, "racelab", a.racePage(c, v.Session.ID, raceDefaultWriters, nil))
}

// runRaceLab fires the chosen number of writers at a throw-away session
// through both stores, for real, and shows what each kept.
func (a *App) runRaceLab(c echo.Context) error {
	id, form, err := a.authorize(c)
	if err != nil {
		return err
	}
	n, err := raceWriters(form.Get("writers"))
	if err != nil {
		return err
	}
	res, err := a.raceLab(c.Request().Context(), n)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, "racelab", a.racePage(c, id, n, res))
}

// raceWriters reads the form's number of writers; empty means the default.
func raceWriters(s string) (int, error) {
	if s == "" {
		return raceDefaultWriters, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < raceMinWriters || n > raceMaxWriters {
		return 0, badRequest("race.bad_writers")
	}
	return n, nil
}

// raceLab runs the experiment under the lab's key scheme, which no session
// key starts with, on one throw-away session that only this run knows, and
// deletes every key it wrote before returning. The visitor's own session
// is never touched.
func (a *App) raceLab(ctx context.Context, n int) (res *raceResult, err error) {
	opts, stock, hardened := a.labStores()
	id, err := sessionstore.NewID()
	if err != nil {
		return nil, err
	}
	res = &raceResult{Writers: n, SessionKey: opts.Keys.Session(id)}
	defer func() {
		left, cleanErr := a.removeKeys(ctx, opts.Keys.Session(id), opts.Keys.Lock(id), opts.Keys.Flash(id))
		if err == nil {
			res.LeftBehind, err = left, cleanErr
		}
	}()

	// The stock store, used bare: load, add one, save, and nothing keeps
	// another writer from loading the same value in between.
	res.Stock, err = a.race(ctx, n, stock, id, func(ctx context.Context, read func()) error {
		req, w := forgedRequest(ctx, opts.CookieName, id)
		sess, err := stock.New(req, opts.CookieName)
		if err != nil {
			return stockFailed(err)
		}
		read()
		increment(sess)
		if err := stock.Save(req, w, sess); err != nil {
			return stockFailed(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.Stock.TitleKey = "race.stock"

	// This app's store: the same three steps, under the session's lock.
	res.Hardened, err = a.race(ctx, n, stock, id, func(ctx context.Context, read func()) error {
		req, w := forgedRequest(ctx, opts.CookieName, id)
		_, err := hardened.Change(w, req, id, func(sess *sessions.Session) error {
			read()
			increment(sess)
			return nil
		}, sessionstore.Report{})
		return err
	})
	if err != nil {
		return nil, err
	}
	res.Hardened.TitleKey, res.Hardened.Locked = "race.hardened", true
	return res, nil
}

func increment(sess *sessions.Session) {
	n, _ := sess.Values[raceCounter].(int64)
	sess.Values[raceCounter] = n + 1
}

// raceWriter is one writer: it loads the session, adds one to the counter
// and saves it, calling read right after the load.
type raceWriter func(ctx context.Context, read func()) error

// race stores a counter of 0 under session id, releases n writers at once
// and reads back what they left. stock writes and reads the counter itself,
// outside the writers' command logs.
func (a *App) race(ctx context.Context, n int, stock *redisstore.RedisStore, id string, write raceWriter) (raceSide, error) {
	cookieName := a.cfg.CookieName
	req, w := forgedRequest(ctx, cookieName, id)
	// New without a cookie asks Redis nothing: it only hands out a session
	// with the store's cookie options, whose MaxAge Save needs.
	cookieless, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	start, _ := stock.New(cookieless, cookieName)
	start.ID, start.Values[raceCounter] = id, int64(0)
	if err := stock.Save(req, w, start); err != nil {
		return raceSide{}, stockFailed(err)
	}

	// A PING on n connections at once fills the client's pool, so that
	// neither side's wall time includes dialling connections that the other
	// side then finds ready. (The pool may hold fewer than n: then writers
	// wait for a free one, on both sides alike.)
	var warm sync.WaitGroup
	for range n {
		warm.Go(func() { a.redis.Client.Ping(ctx) })
	}
	warm.Wait()

	traces, began, wall, err := runWriters(ctx, n, write)
	if err != nil {
		return raceSide{}, err
	}
	end, err := stock.New(req, cookieName)
	if err != nil {
		return raceSide{}, stockFailed(err)
	}
	survived, _ := end.Values[raceCounter].(int64)
	side := raceSide{Sent: n, Survived: survived, Lost: int64(n) - survived,
		Wall: fmt.Sprintf("%.1f ms", float64(wall.Microseconds())/1000)}
	for _, t := range traces {
		side.Commands += len(t.log.Commands())
	}
	side.Shown, side.Timeline, side.Hidden = timeline(traces, began, id)
	return side, nil
}

// runWriters starts n writers, lets them all go at once and waits for the
// last. It returns their traces, when they were let go and how long the
// last one took, or the first error of any.
func runWriters(ctx context.Context, n int, write raceWriter) ([]*raceTrace, time.Time, time.Duration, error) {
	traces := make([]*raceTrace, n)
	errs := make([]error, n)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range traces {
		t := newRaceTrace(ctx, i+1)
		traces[i] = t
		wg.Go(func() {
			<-release
			errs[i] = write(t, t.read)
		})
	}
	began := time.Now()
	close(release)
	wg.Wait()
	wall := time.Since(began)
	for _, err := range errs {
		if err != nil {
			return nil, began, wall, err // the first will do: the others are alike
		}
	}
	return traces, began, wall, nil
}

// timeline merges the commands of the first writers to read, at most
// raceMaxSteps of them, in the order their replies arrived. That is close
// to the order Redis ran them; the order they were sent in is not, because
// a command may wait for a free connection of the client's pool first.
func timeline(traces []*raceTrace, began time.Time, id string) (shown []int, steps []raceStep, hidden int) {
	first := slices.Clone(traces)
	slices.SortStableFunc(first, func(a, b *raceTrace) int { return a.readAt.Compare(b.readAt) })
	first = first[:min(raceShownWriters, len(first))]
	for rank, t := range first {
		shown = append(shown, t.writer)
		steps = append(steps, t.steps(began, rank+1, id)...)
	}
	slices.SortStableFunc(steps, func(a, b raceStep) int { return cmp.Compare(a.at, b.at) })
	if len(steps) > raceMaxSteps {
		steps, hidden = steps[:raceMaxSteps], len(steps)-raceMaxSteps
	}
	return shown, steps, hidden
}

// raceTrace is the context of one writer. It records the writer's Redis
// commands (commandlog.WithLog) and also when each round trip of them
// started, which the log does not keep (it keeps how long each took; the
// start plus that is when the reply arrived). The log's hook looks the log
// up in the context (commandlog.FromContext) just before it times a round
// trip, so each time this context hands out the writer's log, a round trip
// starts. Setting up a new connection (HELLO) asks too, from within a
// round trip already started, and logs nothing; so a start is keyed by how
// many commands the log held at that moment, and the first start noted for
// a count is the one of the round trip that logged the next commands.
type raceTrace struct {
	context.Context
	writer int
	log    *commandlog.Log

	mu     sync.Mutex
	starts map[int]time.Time // commands logged so far → start of the next round trip
	readAt time.Time         // when the writer had read the counter
}

func newRaceTrace(ctx context.Context, writer int) *raceTrace {
	ctx, log := commandlog.WithLog(ctx)
	return &raceTrace{Context: ctx, writer: writer, log: log, starts: map[int]time.Time{}}
}

// Value is the context's Value, noting each start of a round trip.
func (t *raceTrace) Value(key any) any {
	v := t.Context.Value(key)
	if log, ok := v.(*commandlog.Log); ok && log == t.log {
		now := time.Now()
		n := len(log.Commands())
		t.mu.Lock()
		if _, seen := t.starts[n]; !seen {
			t.starts[n] = now
		}
		t.mu.Unlock()
	}
	return v
}

func (t *raceTrace) read() {
	t.mu.Lock()
	t.readAt = time.Now()
	t.mu.Unlock()
}

// steps returns the writer's commands with the time each one's reply
// arrived: its round trip's start plus the time the log measured. The
// session ID and the lock tokens, 43 characters each, are shortened so that
// a command fits a line or two.
func (t *raceTrace) steps(began time.Time, rank int, id string) []raceStep {
	t.mu.Lock()
	defer t.mu.Unlock()
	cmds := t.log.Commands()
	steps := make([]raceStep, 0, len(cmds))
	firstOfTrip, sent := 0, began
	for i, c := range cmds {
		if i > 0 && c.RoundTrip != cmds[i-1].RoundTrip {
			firstOfTrip = i
		}
		if start, ok := t.starts[firstOfTrip]; ok {
			sent = start
		}
		d := sent.Add(time.Duration(c.Micros) * time.Microsecond).Sub(began)
		steps = append(steps, raceStep{Writer: t.writer, Rank: rank, at: d,
			At:      fmt.Sprintf("%.2f", float64(d.Microseconds())/1000),
			Command: shortenIDs(c.Command, id), Reply: shortenIDs(c.Reply, id)})
	}
	return steps
}

// shortenIDs shortens the session ID inside s, and every word of s (a lock
// token, quoted or not) shaped like an ID, to its first 6 characters.
func shortenIDs(s, id string) string {
	short := func(id string) string { return id[:6] + "…" }
	s = strings.ReplaceAll(s, id, short(id))
	words := strings.Split(s, " ")
	for i, w := range words {
		if bare := strings.Trim(w, `"`); sessionstore.ValidID(bare) {
			words[i] = strings.Replace(w, bare, short(bare), 1)
		}
	}
	return strings.Join(words, " ")
}
