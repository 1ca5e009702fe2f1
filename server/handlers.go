package server

import (
	"errors"
	"log/slog"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/sessionstore"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
)

// showIndex is the tutorial's GET /: it opens (or creates) the session and
// shows the cookie, the Redis key and the values side by side. After a
// destroy, ?report= names what the destroy left for this page.
func (a *App) showIndex(c echo.Context) error {
	open := a.sessions.Open
	if c.QueryParams().Has("changed") { // a change redirected here: take its report
		open = a.sessions.OpenAfterChange
	}
	v, err := open(c.Response(), c.Request())
	if err != nil {
		return err
	}
	done := parseFlash(v.Flash)
	if token := c.QueryParam("report"); token != "" {
		if b, err := a.sessions.TakeReport(c.Request().Context(), token); err == nil && b != nil {
			done = parseFlash(b)
			// After an Express-style destroy the browser still held the
			// dead ID: say whether this very request sent it.
			done.DeadIDSent = done.OldID != "" && a.sessions.CookieID(c.Request()) == done.OldID
		}
	}
	return render(c, http.StatusOK, "index", a.indexPage(c, v, done))
}

// showSessionJSON is showIndex for scripts: the same state as JSON.
func (a *App) showSessionJSON(c echo.Context) error {
	v, err := a.sessions.Open(c.Response(), c.Request())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a.state(c, v))
}

// regenerateValue stores a new random number under "value".
func (a *App) regenerateValue(c echo.Context) error {
	id, _, err := a.authorize(c)
	if err != nil {
		return err
	}
	return a.changeValues(c, id, &flash{Action: "value", Name: "value"}, func(s *sessions.Session) error {
		return setValue(s, "value", mathrand.Float64())
	})
}

// setVariable stores the form's value under the form's name.
func (a *App) setVariable(c echo.Context) error {
	id, form, err := a.authorize(c)
	if err != nil {
		return err
	}
	name, value := form.Get("name"), form.Get("value")
	if err := errors.Join(validateName(name), validateValue(value)); err != nil {
		return err
	}
	return a.changeValues(c, id, &flash{Action: "set", Name: name}, func(s *sessions.Session) error {
		return setValue(s, name, value)
	})
}

// deleteVariable removes one variable, "value" unless the form names
// another: the tutorial's /session-delete.
func (a *App) deleteVariable(c echo.Context) error {
	id, form, err := a.authorize(c)
	if err != nil {
		return err
	}
	name := form.Get("name")
	if name == "" {
		name = "value"
	}
	if err := validateName(name); err != nil {
		return err
	}
	return a.changeValues(c, id, &flash{Action: "delete", Name: name}, func(s *sessions.Session) error {
		delete(s.Values, name)
		return nil
	})
}

// rotateSession moves the values to a new session ID.
func (a *App) rotateSession(c echo.Context) error {
	id, _, err := a.authorize(c)
	if err != nil {
		return err
	}
	sess, err := a.sessions.Rotate(c.Response(), c.Request(), id, a.report(c, &flash{Action: "rotate", OldID: id}))
	if sess == nil {
		return err
	}
	// Express's regenerate() sends a new cookie with a new expiry.
	a.setTwinExpiry(c, time.Now().Add(time.Duration(a.cfg.MaxAge)*time.Second))
	if err != nil {
		// The new session is saved and its cookie set: answer as a success,
		// whose report says the old key may remain.
		slog.Warn("rotation left the old key", "err", err)
	}
	return a.changed(c, sess, err)
}

// destroySession deletes the session from Redis and the cookie from the
// browser: the tutorial's req.session.destroy(), which left the cookie.
// With the form field style=express it leaves the cookie too, as Express
// does, so that the next page shows the dead ID sent once more.
func (a *App) destroySession(c echo.Context) error {
	id, form, err := a.authorize(c)
	if err != nil {
		return err
	}
	done := &flash{Action: "destroy", OldID: id}
	var w http.ResponseWriter = c.Response()
	if form.Get("style") == "express" {
		done.Action = "destroy_express"
		w = &headerRecorder{header: http.Header{}} // the expired cookie never leaves
	}
	token, err := a.sessions.Destroy(w, c.Request(), id, a.report(c, done))
	if err != nil {
		return err
	}
	if wantsJSON(c.Request()) {
		return c.JSON(http.StatusOK, destroyedState{
			Destroyed: true,
			Commands:  commandsOf(c),
		})
	}
	next := nextPage(c.Request())
	if token != "" {
		// The report lives under a random token of its own, not in the
		// session that is gone: the next page takes it once.
		next = "/?report=" + token + "#result"
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// destroyedState answers a JSON client's /destroy: there is no session
// left to show, only what it took.
type destroyedState struct {
	Destroyed bool                 `json:"destroyed"`
	Commands  []commandlog.Command `json:"commands"`
}

// healthState is the JSON of the health checks.
type healthState struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// checkReady answers whether Redis answers PING. It creates no session; a
// failure goes through the one error path, which shows no Redis address
// or error text.
func (a *App) checkReady(c echo.Context) error {
	if err := a.sessions.Ping(c.Request().Context()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, healthState{Status: "ok", Version: a.version})
}

// checkLive answers that the process serves requests; it asks Redis
// nothing, so a Redis outage never gets the app restarted.
func (a *App) checkLive(c echo.Context) error {
	return c.JSON(http.StatusOK, healthState{Status: "ok", Version: a.version})
}

// changeValues applies edit to session id under its lock, noting in done
// the variable done.Name before and after, and answers with the new state.
func (a *App) changeValues(c echo.Context, id string, done *flash, edit func(*sessions.Session) error) error {
	noted := func(s *sessions.Session) error {
		done.Before, done.Had = shownValue(s.Values, done.Name)
		if err := edit(s); err != nil {
			return err
		}
		done.After, done.Has = shownValue(s.Values, done.Name)
		return nil
	}
	sess, err := a.sessions.Change(c.Response(), c.Request(), id, noted, a.report(c, done))
	if err != nil {
		return err
	}
	return a.changed(c, sess, nil)
}

// authorize returns the session ID and the form of a POST whose CSRF token
// (form field _csrf or header X-CSRF-Token) belongs to the session its
// cookie names. Nothing else decides: not Origin, not Sec-Fetch-Site. A
// POST that carries no session cookie at all has nothing to forge: its
// session expired (the browser dropped the cookie with it), and it is told
// so; a store error later tells the same when Redis no longer holds the key.
func (a *App) authorize(c echo.Context) (string, url.Values, error) {
	form, err := postForm(c)
	if err != nil {
		return "", nil, err
	}
	token := form.Get("_csrf")
	if token == "" {
		token = c.Request().Header.Get("X-CSRF-Token")
	}
	id := a.sessions.CookieID(c.Request())
	if id == "" {
		return "", nil, errSessionExpired
	}
	if !validCSRF(a.cfg.Secret, id, token) {
		return "", nil, errCSRF
	}
	return id, form, nil
}

// changed answers a successful change: 303 to the page, which then shows
// what changed (the store left it a report), or the new state for a JSON
// client, with a warning when part of the change could not be confirmed.
func (a *App) changed(c echo.Context, sess *sessions.Session, problem error) error {
	if !wantsJSON(c.Request()) {
		return c.Redirect(http.StatusSeeOther, nextPage(c.Request()))
	}
	entry, err := a.sessions.Inspect(c.Request().Context(), sess.ID)
	if err != nil {
		return err
	}
	st := a.state(c, &sessionstore.Visit{Session: sess, Entry: entry})
	if problem != nil {
		st.Warning = translate("en", "flash.old_key_left")
	}
	return c.JSON(http.StatusOK, st)
}

// nextPage is where a form POST's 303 goes: to the main page's result, or
// back to the tutorial step whose button sent it (form field return_step).
// Nothing else is accepted, so a form cannot send the visitor elsewhere.
func nextPage(r *http.Request) string {
	step := r.PostForm.Get("return_step")
	for _, s := range tutorialSteps {
		if s.ID == step {
			return "/tutorial#step-" + step
		}
	}
	return resultPage
}

// resultPage is where a change's 303 goes by default: the main page, which
// takes the change's report and shows its result.
const resultPage = "/?changed#result"

// postForm returns the fields of the request body (url-encoded or
// multipart), which readForm read; the query string is not consulted, so a
// token or a value in a URL is ignored.
func postForm(c echo.Context) (url.Values, error) {
	r := c.Request()
	parsed, ok := c.Get(formKey).(parsedForm)
	err := parsed.err
	if !ok {
		err = parseForm(r)
	}
	switch {
	case tooLarge(err):
		return nil, errTooLarge
	case err != nil:
		return nil, badRequest("error.bad_request")
	}
	return r.PostForm, nil
}
