package server

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
	"github.com/rbcervilla/redisstore/v9"
)

// labSide is what one store did with a forged cookie.
type labSide struct {
	SessionID    string // the ID the store ended up with
	Adopted      bool   // the store kept the forged ID
	WroteForged  bool   // Redis held a key under the forged ID afterwards
	SetCookie    string
	Commands     []commandlog.Command
	ForgedKey    string
	SessionKey   string
	SessionBytes string
}

// labResult is one run of the fixation lab.
type labResult struct {
	Forged          string
	Stock, Hardened labSide
	LeftBehind      int64 // lab keys still in Redis after the clean-up: 0
}

// labPage is the data of /lab/fixation.
type labPage struct {
	page
	CSRFToken string
	Result    *labResult
}

// showFixationLab explains the lab. It opens the visitor's session like the
// main page, because running the lab is a POST that needs a CSRF token.
func (a *App) showFixationLab(c echo.Context) error {
	v, err := a.sessions.Open(c.Response(), c.Request())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, "lab", labPage{page: a.page(c, "lab.title"), CSRFToken: csrfToken(a.cfg.Secret, v.Session.ID)})
}

// runFixationLab sends one forged cookie to the stock redisstore and to this
// app's store, for real, and shows what each did.
func (a *App) runFixationLab(c echo.Context) error {
	id, _, err := a.authorize(c)
	if err != nil {
		return err
	}
	result, err := a.fixationLab(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, "lab", labPage{page: a.page(c, "lab.title"), CSRFToken: csrfToken(a.cfg.Secret, id), Result: result})
}

// fixationLab runs the experiment under the lab's key scheme, which no
// session key starts with, and deletes every key it wrote before returning.
func (a *App) fixationLab(ctx context.Context) (*labResult, error) {
	opts, stock, hardened := a.labStores()
	// A well-formed ID, so that this app really looks it up in Redis instead
	// of dismissing it by its shape.
	forged, err := sessionstore.NewID()
	if err != nil {
		return nil, err
	}
	res := &labResult{Forged: forged}
	rdb := a.redis.Client
	defer func() {
		res.LeftBehind, _ = a.removeKeys(ctx, opts.Keys.Session(forged), opts.Keys.Session(res.Hardened.SessionID), opts.Keys.Flash(forged))
	}()

	// The stock store, used bare: New keeps the cookie's ID although Redis
	// holds no such key, and Save writes the session under it.
	stockCtx, stockLog := commandlog.WithLog(ctx)
	req, w := forgedRequest(stockCtx, opts.CookieName, forged)
	sess, err := stock.New(req, opts.CookieName)
	if err != nil {
		return nil, stockFailed(err)
	}
	sess.Values["value"] = mathrand.Float64()
	if err := stock.Save(req, w, sess); err != nil {
		return nil, stockFailed(err)
	}
	res.Stock = a.observeLab(stockCtx, opts.Keys, forged, sess.ID, w, stockLog)
	// Both stores face the same start: Redis holding no such key. Once the
	// stock store has written it, the attacker's ID is a live session.
	if err := rdb.Del(ctx, opts.Keys.Session(forged)).Err(); err != nil {
		return nil, stockFailed(err)
	}

	// This app's store: the same forged cookie gets a fresh ID.
	ourCtx, ourLog := commandlog.WithLog(ctx)
	req, w = forgedRequest(ourCtx, opts.CookieName, forged)
	v, err := hardened.Open(w, req)
	if err != nil {
		return nil, err
	}
	res.Hardened = a.observeLab(ourCtx, opts.Keys, forged, v.Session.ID, w, ourLog)
	return res, nil
}

// stockFailed marks a failure of the bare stock store, which talks to Redis
// without this app's store in between, as the store's own would be.
func stockFailed(err error) error { return fmt.Errorf("%w: %w", sessionstore.ErrUnavailable, err) }

// labStores are the stock redisstore and this app's store as the labs use
// them: under the lab's key scheme, which no session key starts with, and
// with no limit on new sessions (the lab's sessions are the app's own).
func (a *App) labStores() (sessionstore.Options, *redisstore.RedisStore, *sessionstore.Store) {
	opts := a.storeOptions()
	opts.Keys = a.keys.Lab()
	opts.NewPerMinute = 0
	return opts, sessionstore.NewStock(a.redis.Client, opts), sessionstore.New(a.redis.Client, opts)
}

// removeKeys deletes the keys a lab wrote, even after the request's
// deadline, and counts those still there.
func (a *App) removeKeys(ctx context.Context, keys ...string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), labCleanupTimeout)
	defer cancel()
	rdb := a.redis.Client
	// One key per command: in a Redis Cluster the keys of one session may
	// live on different nodes, where a DEL of several keys is refused.
	var left int64
	for _, key := range keys {
		if err := rdb.Del(ctx, key).Err(); err != nil {
			return 0, fmt.Errorf("%w: clean-up: %w", sessionstore.ErrUnavailable, err)
		}
		n, err := rdb.Exists(ctx, key).Result()
		if err != nil {
			return 0, fmt.Errorf("%w: clean-up: %w", sessionstore.ErrUnavailable, err)
		}
		left += n
	}
	return left, nil
}

// observeLab reads back what Redis holds after one side of the lab.
func (a *App) observeLab(ctx context.Context, keys sessionstore.Keys, forged, id string, w *headerRecorder, log *commandlog.Log) labSide {
	side := labSide{
		SessionID:  id,
		Adopted:    id == forged,
		SetCookie:  w.header.Get("Set-Cookie"),
		ForgedKey:  keys.Session(forged),
		SessionKey: keys.Session(id),
		Commands:   log.Commands(), // before the read-back below, which is the lab's own
	}
	side.WroteForged = a.redis.Client.Exists(ctx, side.ForgedKey).Val() == 1
	side.SessionBytes = a.redis.Client.Get(ctx, side.SessionKey).Val()
	return side
}

func forgedRequest(ctx context.Context, cookieName, id string) (*http.Request, *headerRecorder) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: id})
	return req, &headerRecorder{header: http.Header{}}
}

// labSideView is what the "lab-side" template gets: one side of the lab
// and the page, for its texts.
type labSideView struct {
	Page     labPage
	TitleKey string
	Side     labSide
}

// headerRecorder is a ResponseWriter that keeps the headers a store sets.
type headerRecorder struct{ header http.Header }

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(int)             {}
