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
	// {prefix} the key prefix.
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
			{File: "server/redis.go", Func: "ConnectRedis"},
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
			{File: "server/session.go", Func: "cookieOptions"},
			{File: "server/session.go", Func: "newSessionStore"},
		},
		Link:     true,
		Settings: true,
		See:      []string{"cookie", "redis"},
		CLI:      []string{"--scan --pattern '{prefix}*'"},
	},
	{
		ID:      "create",
		Express: []string{"app.get('/')", "req.session.value", "Math.random()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).showIndex"},
			{File: "server/session.go", Func: "(*sessionStore).open"},
			{File: "server/session.go", Func: "(*sessionStore).create"},
		},
		Link: true,
		See:  []string{"cookie", "redis", "values"},
		CLI:  []string{"GET {key}"},
	},
	{
		ID:      "inspect",
		Express: []string{"connect-redis", "RedisStore", "prefix"},
		Go: []goRef{
			{File: "server/session.go", Func: "(*sessionStore).key"},
			{File: "server/serializer.go", Func: "JSONSerializer.Serialize"},
			{File: "server/view.go", Func: "(*App).redisState"},
		},
		Link: true,
		See:  []string{"cookie", "redis", "values"},
		CLI:  []string{"GET {key}", "PTTL {key}", "--scan --pattern '{prefix}*'"},
	},
	{
		ID:      "delete",
		Express: []string{"delete req.session.value", "app.get('/session-delete')"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).deleteVariable"},
			{File: "server/session.go", Func: "(*sessionStore).change"},
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
			{File: "server/session.go", Func: "(*sessionStore).destroy"},
		},
		Button: "actions.destroy",
		Link:   true,
		See:    []string{"cookie", "redis", "values"},
		CLI:    []string{"EXISTS {key}", "--scan --pattern '{prefix}*'"},
	},
	{
		ID:      "rotate",
		Extra:   true,
		Express: []string{"req.session.regenerate()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).rotateSession"},
			{File: "server/session.go", Func: "(*sessionStore).rotate"},
		},
		Button: "actions.rotate",
		Link:   true,
		See:    []string{"cookie", "redis", "values"},
		CLI:    []string{"GET {key}", "--scan --pattern '{prefix}*'"},
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
	fill := strings.NewReplacer("{key}", a.sessions.key(shown), "{prefix}", a.cfg.KeyPrefix)
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
		KeyPrefix:   a.cfg.KeyPrefix,
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
	id := a.sessions.cookieID(c.Request())
	if id == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), tutorialLookup)
	defer cancel()
	n, err := a.redis.Client.Exists(ctx, a.sessions.key(id)).Result()
	if err == nil && n == 0 {
		return ""
	}
	return id
}
