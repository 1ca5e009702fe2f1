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
	return render(c, http.StatusOK, "tutorial", a.tutorialPage(c))
}

// goRef names a piece of this repository: a file relative to the repository
// root and, unless Func is empty, a function in it, written as Go
// documentation writes it: "name", "T.name" or "(*T).name". The page shows
// its source, which New cuts from the embedded files (source.go); a
// reference to anything that is not there stops the start.
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
	// ExpressCode does the step in Express. It is written for this project,
	// short, and does what the tutorial's code does; it is not a quote.
	ExpressCode string
	Go          []goRef // what does the same job here; the page shows its code
	Run         string  // a shell command to run first, if any
	Button      string  // catalog key of the main page's button to press, if any
	// Post is the path the step's own button on /tutorial posts to, and
	// PostLabel the catalog key of its label. The form sends return_step,
	// so the answer comes back to the step (see nextPage).
	Post      string
	PostLabel string
	Link      bool // offer a link to the main page
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
		ExpressCode: `# Express 3 and the two session modules,
# recorded in package.json
npm install --save express@3 \
  express-session connect-redis
node app.js`,
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
		ExpressCode: `// app.js
const express = require('express');
const session = require('express-session');
const RedisStore = require('connect-redis')(session);

const app = express();
app.use(express.cookieParser('WANTEDSECRET'));
app.use(session({
  key: 'web.engineer', // the cookie's name
  store: new RedisStore({
    host: '127.0.0.1',
    port: 6379,
    prefix: 'dev.blog',
  }),
  // maxAge is in ms: two minutes
  cookie: { path: '/', maxAge: 120000 },
}));
app.listen(3000);`,
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
		ExpressCode: `app.get('/', (req, res) => {
  // Keep the number the session holds;
  // draw one only when it has none.
  if (req.session.value === undefined) {
    req.session.value = Math.random();
  }
  res.send('value: ' + req.session.value);
});`,
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).showIndex"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Open"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Create"},
		},
		Post:      "/value",
		PostLabel: "actions.value",
		Link:      true,
		See:       []string{"cookie", "redis", "values"},
		CLI:       []string{"GET {key}"},
	},
	{
		ID:      "inspect",
		Express: []string{"connect-redis", "RedisStore", "prefix"},
		ExpressCode: `// The tutorial looked with a Redis viewer.
// connect-redis keeps each session as JSON
// under the prefix followed by the cookie's ID:
app.get('/where', (req, res) => {
  res.json({
    cookieID: req.sessionID,
    redisKey: 'dev.blog' + req.sessionID,
    stored: req.session,
  });
});`,
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
		ExpressCode: `app.get('/session-delete', (req, res) => {
  // Only this variable goes; the session stays.
  delete req.session.value;
  res.send('value deleted');
});`,
		Button:    "actions.delete",
		Post:      "/delete",
		PostLabel: "actions.delete",
		Link:      true,
		See:       []string{"cookie", "redis", "values"},
		CLI:       []string{"GET {key}"},
	},
	{
		ID:      "destroy",
		Express: []string{"req.session.destroy()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).destroySession"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Destroy"},
		},
		ExpressCode: `app.get('/session-destroy', (req, res) => {
  // Deletes the session in Redis. The browser
  // keeps its cookie and sends the dead ID once.
  req.session.destroy((err) => {
    res.send(err ? 'not destroyed' : 'destroyed');
  });
});`,
		Button:    "actions.destroy",
		Post:      "/destroy",
		PostLabel: "actions.destroy",
		Link:      true,
		See:       []string{"cookie", "redis", "values"},
		CLI:       []string{"EXISTS {key}", "--scan --pattern '{pattern}'"},
	},
	{
		ID:      "rotate",
		Extra:   true,
		Express: []string{"req.session.regenerate()"},
		Go: []goRef{
			{File: "server/handlers.go", Func: "(*App).rotateSession"},
			{File: "internal/sessionstore/store.go", Func: "(*Store).Rotate"},
		},
		ExpressCode: `app.post('/rotate', (req, res) => {
  // A new ID and an empty session:
  // the values do not come along.
  req.session.regenerate((err) => {
    res.send(err ? 'failed' : 'new ' + req.sessionID);
  });
});`,
		Button:    "actions.rotate",
		Post:      "/rotate",
		PostLabel: "actions.rotate",
		Link:      true,
		See:       []string{"cookie", "redis", "values"},
		CLI:       []string{"GET {key}", "--scan --pattern '{pattern}'"},
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
	if s.PostLabel != "" {
		keys = append(keys, s.PostLabel)
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
	// CSRFToken is the live session's token, for the steps' own buttons;
	// "" without a live session, when the page shows no buttons.
	CSRFToken string
}

// tutorialView is a step with its commands written out for this visitor
// and the source of its Go code.
type tutorialView struct {
	tutorialStep
	Number   int
	Commands []string
	Code     []sourceCode // one for each of Go, in order
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
		code := make([]sourceCode, len(s.Go))
		for j, ref := range s.Go {
			code[j] = a.sources[ref]
		}
		steps[i] = tutorialView{tutorialStep: s, Number: i + 1, Commands: cmds, Code: code}
	}
	token := ""
	if id != "" {
		token = csrfToken(a.cfg.Secret, id)
	}
	return tutorialPage{
		page:        p,
		Steps:       steps,
		CookieName:  a.cfg.CookieName,
		KeyPrefix:   a.keys.Prefix,
		MaxAge:      a.cfg.MaxAge,
		SessionID:   id,
		Placeholder: sessionPlaceholder,
		CSRFToken:   token,
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
