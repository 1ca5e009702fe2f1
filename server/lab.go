package server

import (
	"context"
	mathrand "math/rand/v2"
	"net/http"

	"github.com/labstack/echo/v4"
)

// labSide is what one store did with a forged cookie.
type labSide struct {
	SessionID    string // the ID the store ended up with
	Adopted      bool   // the store kept the forged ID
	WroteForged  bool   // Redis held a key under the forged ID afterwards
	SetCookie    string
	Commands     []redisCommand
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
	v, err := a.sessions.open(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "lab", labPage{page: a.page(c, "lab.title"), CSRFToken: csrfToken(a.cfg.Secret, v.Session.ID)})
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
	return c.Render(http.StatusOK, "lab", labPage{page: a.page(c, "lab.title"), CSRFToken: csrfToken(a.cfg.Secret, id), Result: result})
}

// fixationLab runs the experiment against a lab prefix of its own, which no
// session key starts with, and deletes every key it wrote before returning.
func (a *App) fixationLab(ctx context.Context) (*labResult, error) {
	labCfg := a.cfg
	labCfg.KeyPrefix = "fixation-lab:" + a.cfg.KeyPrefix
	lab := newSessionStore(context.WithoutCancel(ctx), a.redis.Client, labCfg)
	// A well-formed ID, so that this app really looks it up in Redis instead
	// of dismissing it by its shape.
	forged, err := newSessionID()
	if err != nil {
		return nil, err
	}
	res := &labResult{Forged: forged}
	defer func() {
		keys := []string{lab.key(forged), lab.key(res.Hardened.SessionID), flashKey(lab.key(forged))}
		cleanup := context.WithoutCancel(ctx)
		lab.rdb.Del(cleanup, keys...)
		res.LeftBehind = lab.rdb.Exists(cleanup, keys...).Val()
	}()

	// The stock store, used bare: New keeps the cookie's ID although Redis
	// holds no such key, and Save writes the session under it.
	stockCtx, stockLog := withCommandLog(ctx)
	req, w := forgedRequest(stockCtx, lab.cookieName, forged)
	sess, err := lab.stock.New(req, lab.cookieName)
	if err != nil {
		return nil, unavailable(err)
	}
	sess.Values["value"] = mathrand.Float64()
	if err := lab.stock.Save(req, w, sess); err != nil {
		return nil, unavailable(err)
	}
	res.Stock = lab.observe(stockCtx, forged, sess.ID, w, stockLog)
	// Both stores face the same start: Redis holding no such key. Once the
	// stock store has written it, the attacker's ID is a live session.
	if err := lab.rdb.Del(ctx, lab.key(forged)).Err(); err != nil {
		return nil, unavailable(err)
	}

	// This app's store: the same forged cookie gets a fresh ID.
	ourCtx, ourLog := withCommandLog(ctx)
	req, w = forgedRequest(ourCtx, lab.cookieName, forged)
	v, err := lab.open(a.echo.NewContext(req, w))
	if err != nil {
		return nil, err
	}
	res.Hardened = lab.observe(ourCtx, forged, v.Session.ID, w, ourLog)
	return res, nil
}

// observe reads back what Redis holds after one side of the lab.
func (s *sessionStore) observe(ctx context.Context, forged, id string, w *headerRecorder, log *commandLog) labSide {
	side := labSide{
		SessionID:  id,
		Adopted:    id == forged,
		SetCookie:  w.header.Get("Set-Cookie"),
		ForgedKey:  s.key(forged),
		SessionKey: s.key(id),
		Commands:   log.Commands(), // before the read-back below, which is the lab's own
	}
	side.WroteForged = s.rdb.Exists(ctx, side.ForgedKey).Val() == 1
	side.SessionBytes = s.rdb.Get(ctx, side.SessionKey).Val()
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
