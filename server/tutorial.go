package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// showTutorial is GET /tutorial: the steps of the Express tutorial this app
// re-creates, each next to the Go code that does the same here. It only
// reads the visitor's cookie: it never creates or renews a session.
func (a *App) showTutorial(c echo.Context) error {
	return c.Render(http.StatusOK, "tutorial", a.tutorialPage(c))
}

// goRef names a piece of this repository: a file relative to the repository
// root and, unless Func is empty, a function in it, written as Go
// documentation writes it: "name", "T.name" or "(*T).name". A test checks
// that every one exists.
type goRef struct {
	File string
	Func string
}

// tutorialStep is one step of the walk-through. Its texts are in
// tutorial_messages.go under "tutorial.<ID>.": title, body, press, cli and
// see.<place> for each of See.
type tutorialStep struct {
	ID      string   // also the HTML anchor: #step-<ID>
	Extra   bool     // not in the original tutorial
	Express []string // the Express-side API names the tutorial used
	Go      []goRef  // what does the same job here
	Run     string   // a shell command to run first, if any
	Button  string   // catalog key of the main page's button to press, if any
	Link    bool     // offer a link to the main page
	// Settings shows the configuration this app is running with.
	Settings bool
	// See lists where to look afterwards: "terminal", "cookie", "redis",
	// "values" (the three panels of the main page).
	See []string
	// CLI are redis-cli arguments; {key} is the visitor's session key and
	// {pattern} the SCAN pattern of every session key.
	CLI []string
}

// tutorialSteps follow the order of the original tutorial, plus one extra.
var tutorialSteps = []tutorialStep{
	{
		ID:      "install",
		Express: []string{"npm install", "package.json", "express", "express-session", "connect-redis"},
		Go: []goRef{
			{File: "go.mod"},
			{File: "main.go", Func: "run"},
			{File: "internal/redisconn/redisconn.go", Func: "Connect"},
		},
		Run:  "go run .",
		Link: true,
		See:  []string{"terminal"},
		CLI:  []string{"PING"},
	},
	{
		ID:      "configure",
		Express: []string{"cookieParser", "express-session", "key", "RedisStore", "host", "port", "prefix", "cookie.path", "cookie.maxAge"},
		Go: []goRef{
			{File: "server/config.go", Func: "ConfigFromEnv"},
			{File: "internal/sessionstore/store.go", Func: "cookieOptions"},
			{File: "internal/sessionstore/store.go", Func: "New"},
		},
		Link:     true,
		Settings: true,
		See:      []string{"cookie", "redis"},
		CLI:      []string{"--scan --pattern '{pattern}'"},
	},
	{
		ID:      "create",
		Express: []string{"app.get('/')", "req.session.value", "Math.random()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).showIndex"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Open"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Create"},
		},
		Link: true,
		See:  []string{"cookie", "redis", "values"},
		CLI:  []string{"GET {key}"},
	},
	{
		ID:      "inspect",
		Express: []string{"connect-redis", "RedisStore", "prefix"},
		Go: []goRef{
			{File: "internal/sessionstore/keys.go", Func: "Keys.Session"},
			{File: "internal/sessionstore/serializer.go", Func: "JSONSerializer.Serialize"},
			{File: "server/view.go", Func: "(*App).redisState"},
		},
		Link: true,
		See:  []string{"cookie", "redis", "values"},
		CLI:  []string{"GET {key}", "PTTL {key}", "--scan --pattern '{pattern}'"},
	},
	{
		ID:      "delete",
		Express: []string{"delete req.session.value", "app.get('/session-delete')"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).deleteVariable"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Change"},
		},
		Button: "actions.delete",
		Link:   true,
		See:    []string{"cookie", "redis", "values"},
		CLI:    []string{"GET {key}"},
	},
	{
		ID:      "destroy",
		Express: []string{"req.session.destroy()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).destroySession"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Destroy"},
		},
		Button: "actions.destroy",
		Link:   true,
		See:    []string{"cookie", "redis", "values"},
		CLI:    []string{"EXISTS {key}", "--scan --pattern '{pattern}'"},
	},
	{
		ID:      "rotate",
		Extra:   true,
		Express: []string{"req.session.regenerate()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).rotateSession"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Rotate"},
		},
		Button: "actions.rotate",
		Link:   true,
		See:    []string{"cookie", "redis", "values"},
		CLI:    []string{"GET {key}", "--scan --pattern '{pattern}'"},
	},
}

// Key is the catalog key of one of the step's texts: "title", "body",
// "press", "cli".
func (s tutorialStep) Key(part string) string { return "tutorial." + s.ID + "." + part }

// tutorialPlace is somewhere to look after a step: a label and what to see
// there, both catalog keys.
type tutorialPlace struct{ Label, Text string }

// Places are the step's See, with their catalog keys. The three panels are
// labelled with the headings the main page gives them.
func (s tutorialStep) Places() []tutorialPlace {
	places := make([]tutorialPlace, len(s.See))
	for i, where := range s.See {
		label := where + ".heading"
		if where == "terminal" {
			label = "tutorial.place.terminal"
		}
		places[i] = tutorialPlace{Label: label, Text: s.Key("see." + where)}
	}
	return places
}

// messageKeys lists every catalog key the step's card shows.
func (s tutorialStep) messageKeys() []string {
	keys := []string{s.Key("title"), s.Key("body"), s.Key("press"), s.Key("cli")}
	for _, p := range s.Places() {
		keys = append(keys, p.Label, p.Text)
	}
	if s.Button != "" {
		keys = append(keys, s.Button)
	}
	return keys
}

// tutorialPage is the data of the tutorial page.
type tutorialPage struct {
	page
	Steps      []tutorialView
	CookieName string
	KeyPrefix  string
	MaxAge     int
	// SessionID is the visitor's live session ID, or "" when the browser
	// holds none; the commands then show sessionPlaceholder.
	SessionID string
	// Placeholder stands for the ID when there is none.
	Placeholder string
}

// tutorialView is a step with its commands written out for this visitor.
type tutorialView struct {
	tutorialStep
	Number   int
	Commands []string
}

// sessionPlaceholder stands for the session ID in commands when the visitor
// has no live session.
const sessionPlaceholder = "<session id>"

// tutorialLookup bounds the one Redis read of the tutorial page, so that the
// page still comes quickly, with a placeholder ID, when Redis is down.
const tutorialLookup = 300 * time.Millisecond

func (a *App) tutorialPage(c echo.Context) tutorialPage {
	p := a.page(c, "tutorial.title")
	id := a.liveSessionID(c)
	shown := id
	if shown == "" {
		shown = sessionPlaceholder
	}
	fill := strings.NewReplacer("{key}", a.keys.Session(shown), "{pattern}", a.keys.Pattern())
	steps := make([]tutorialView, len(tutorialSteps))
	for i, s := range tutorialSteps {
		cmds := make([]string, len(s.CLI))
		for j, args := range s.CLI {
			cmds[j] = a.redis.CLI + " " + fill.Replace(args)
		}
		steps[i] = tutorialView{tutorialStep: s, Number: i + 1, Commands: cmds}
	}
	return tutorialPage{
		page:        p,
		Steps:       steps,
		CookieName:  a.cfg.CookieName,
		KeyPrefix:   a.keys.Prefix,
		MaxAge:      a.cfg.MaxAge,
		SessionID:   id,
		Placeholder: sessionPlaceholder,
	}
}

// liveSessionID returns the session ID of the visitor's cookie when Redis
// holds that session. It asks with EXISTS, which neither creates the session
// nor renews its TTL. When Redis does not answer in time the ID is kept: the
// page cannot tell, and a command with a dead ID is harmless.
func (a *App) liveSessionID(c echo.Context) string {
	id := a.sessions.CookieID(c.Request())
	if id == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), tutorialLookup)
	defer cancel()
	if live, err := a.sessions.Exists(ctx, id); err == nil && !live {
		return ""
	}
	return id
}
