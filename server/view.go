package server

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"redis-session-demo/internal/commandlog"
	"redis-session-demo/internal/jsonappend"
	"redis-session-demo/internal/sessionstore"

	"github.com/labstack/echo/v4"
)

// sessionState is the JSON of /api/session and of a POST answered as JSON;
// the page shows the same fields.
type sessionState struct {
	// ID is the session ID: the cookie's value, or with SESSION_COMPAT=express
	// the ID part of the signed value.
	ID        string         `json:"session_id"`
	Cookie    cookieState    `json:"cookie"`
	Redis     redisState     `json:"redis"`
	Values    map[string]any `json:"values"`
	IsNew     bool           `json:"is_new"`
	CSRFToken string         `json:"csrf_token"`
	Instance  string         `json:"instance"`
	Version   string         `json:"version"` // of the build that answered
	// Commands are the Redis commands this request sent, in order.
	Commands []commandlog.Command `json:"commands"`
	// Warning tells what of a change could not be confirmed, if anything.
	Warning string `json:"warning,omitempty"`
}

// cookieState is the session cookie as this response sets it, which is what
// the browser holds once the response arrives.
type cookieState struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Path     string `json:"path"`
	MaxAge   int    `json:"max_age"`
	HTTPOnly bool   `json:"http_only"`
	SameSite string `json:"same_site"`
	Secure   bool   `json:"secure"`
}

// redisState is what Redis holds under the session key.
type redisState struct {
	Key      string `json:"key"`
	TTLms    int64  `json:"ttl_ms"`
	Bytes    int    `json:"bytes"`
	Encoding string `json:"encoding"`
	// Raw is the stored bytes as text when they are UTF-8 (JSON always is),
	// else in base64 (gob usually is); RawFormat says which.
	Raw       string `json:"raw"`
	RawFormat string `json:"raw_format"`
}

// appendJSON appends st as encoding/json writes it, HTML escaping
// included, without its reflection: /api/session answers on every poll.
// TestStateJSONIsEncodingJSONs holds the two to the same bytes.
func (st *sessionState) appendJSON(b []byte) ([]byte, error) {
	str := func(b []byte, key, s string) []byte {
		b = append(b, key...)
		return jsonappend.String(b, s, true)
	}
	b = str(b, `{"session_id":`, st.ID)
	ck := &st.Cookie
	b = str(b, `,"cookie":{"name":`, ck.Name)
	b = str(b, `,"value":`, ck.Value)
	b = str(b, `,"path":`, ck.Path)
	b = strconv.AppendInt(append(b, `,"max_age":`...), int64(ck.MaxAge), 10)
	b = strconv.AppendBool(append(b, `,"http_only":`...), ck.HTTPOnly)
	b = str(b, `,"same_site":`, ck.SameSite)
	b = strconv.AppendBool(append(b, `,"secure":`...), ck.Secure)
	rs := &st.Redis
	b = str(b, `},"redis":{"key":`, rs.Key)
	b = strconv.AppendInt(append(b, `,"ttl_ms":`...), rs.TTLms, 10)
	b = strconv.AppendInt(append(b, `,"bytes":`...), int64(rs.Bytes), 10)
	b = str(b, `,"encoding":`, rs.Encoding)
	b = str(b, `,"raw":`, rs.Raw)
	b = str(b, `,"raw_format":`, rs.RawFormat)
	b, err := jsonappend.Value(append(b, `},"values":`...), st.Values, true)
	if err != nil {
		return nil, err
	}
	b = strconv.AppendBool(append(b, `,"is_new":`...), st.IsNew)
	b = str(b, `,"csrf_token":`, st.CSRFToken)
	b = str(b, `,"instance":`, st.Instance)
	b = str(b, `,"version":`, st.Version)
	b = append(b, `,"commands":`...)
	if st.Commands == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, cmd := range st.Commands {
			if i > 0 {
				b = append(b, ',')
			}
			b = str(b, `{"command":`, cmd.Command)
			b = str(b, `,"reply":`, cmd.Reply)
			b = strconv.AppendInt(append(b, `,"duration_us":`...), cmd.Micros, 10)
			b = strconv.AppendInt(append(b, `,"round_trip":`...), int64(cmd.RoundTrip), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if st.Warning != "" {
		b = str(b, `,"warning":`, st.Warning)
	}
	return append(b, '}'), nil
}

// stateBuffers hold JSON answers while they are written.
var stateBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// jsonSerializer is the app's echo.JSONSerializer. The session state, which
// scripts poll at /api/session, it writes with appendJSON into a pooled
// buffer: the bytes Echo's default writes, without reflection, and with a
// Content-Length also above 2 KB, where net/http sent the default's answer
// chunked. Anything else, and indented JSON (?pretty), is the default's.
type jsonSerializer struct{ echo.DefaultJSONSerializer }

// Serialize writes i as c.JSON's answer; c.JSON has set the status and
// the Content-Type.
func (j jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	st, ok := i.(sessionState)
	if !ok || indent != "" {
		return j.DefaultJSONSerializer.Serialize(c, i, indent)
	}
	buf := stateBuffers.Get().(*[]byte)
	defer stateBuffers.Put(buf)
	b, err := st.appendJSON((*buf)[:0])
	if err != nil {
		return err
	}
	b = append(b, '\n') // as json.Encoder ends what it writes
	*buf = b
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	_, err = c.Response().Write(b)
	return err
}

func (a *App) state(c echo.Context, v *sessionstore.Visit) sessionState {
	opts := a.sessions.Cookie()
	values := make(map[string]any, len(v.Session.Values))
	for k, val := range v.Session.Values {
		if name, ok := k.(string); ok { // not the Express cookie object
			values[name] = val
		}
	}
	return sessionState{
		ID: v.Session.ID,
		Cookie: cookieState{
			Name:     a.sessions.CookieName(),
			Value:    a.sessions.CookieValue(v.Session.ID),
			Path:     opts.Path,
			MaxAge:   opts.MaxAge,
			HTTPOnly: opts.HttpOnly,
			SameSite: sameSiteName(opts.SameSite),
			Secure:   opts.Secure,
		},
		Redis:     a.redisState(v.Entry),
		Values:    values,
		IsNew:     v.IsNew,
		CSRFToken: csrfToken(a.cfg.Secret, v.Session.ID),
		Instance:  a.instance,
		Version:   a.version,
		Commands:  commandsOf(c),
	}
}

func (a *App) redisState(e sessionstore.Entry) redisState {
	rs := redisState{Key: e.Key, TTLms: commandlog.Milliseconds(e.TTL), Bytes: len(e.Raw), Encoding: a.sessions.Encoding()}
	if utf8.Valid(e.Raw) {
		rs.Raw, rs.RawFormat = string(e.Raw), "text"
	} else {
		rs.Raw, rs.RawFormat = base64.StdEncoding.EncodeToString(e.Raw), "base64"
	}
	return rs
}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "Lax"
	case http.SameSiteStrictMode:
		return "Strict"
	case http.SameSiteNoneMode:
		return "None"
	}
	return ""
}

// page is what every page template gets.
type page struct {
	Path     string // of the request, to mark the current page in the menu
	Lang     string
	TitleKey string
	Embedded bool
	Instance string
	Version  string
	Present  bool // presenter mode: big type, explanations hidden
}

// T returns the page's text for a message key; see messages.go. Templates
// call it for keys they compute; fixed keys are baked in at start.
func (p page) T(key string) string { return translate(p.Lang, key) }

func (p page) language() string { return p.Lang }

func (a *App) page(c echo.Context, titleKey string) page {
	return page{Path: c.Request().URL.Path, Lang: langOf(c), TitleKey: titleKey, Embedded: a.redis.Embedded, Instance: a.instance, Version: a.version,
		Present: presenting(c.Request())}
}

// indexPage is the data of the main page.
type indexPage struct {
	page
	Session sessionState
	Rows    []valueRow
	// Result is what the POST before this page changed, if the page
	// follows one, ready to show before → after.
	Result result
	// Key is the session's Redis key in two parts, so that the page can
	// mark the ID: the prefix and the ID the store put together. Cookie is
	// the cookie as name=value cut around the same ID: with
	// SESSION_COMPAT=express the value is "s%3A" + ID + "." + signature.
	Key    keyParts
	Cookie cookieParts
	// Express is SESSION_COMPAT=express; Twin, without it, is what the
	// tutorial's Express app would have sent and stored for this session.
	Express bool
	Twin    *expressTwin
	// What the clocks and the cookie panel show: the cookie's lifetime in
	// ms (where its countdown starts), the key's TTL in seconds, and the
	// cookie's Expires as Set-Cookie states it.
	MaxAgeMs   int
	TTLSeconds string
	ExpiresAt  string
	CLI        []string // one-shot redis-cli commands for this key
	Limits     limits
	// Exchanges are what the previous POST (if the page follows one) and
	// this very request carried and sent to Redis.
	Exchanges []exchangeBlock
	// Pretty is the stored JSON indented; HexDump the stored bytes in hex,
	// for gob, which no Redis viewer can decode.
	Pretty, HexDump string
}

// keyParts is a session key split where the ID starts.
type keyParts struct{ Prefix, ID string }

// cookieParts is the session cookie, name=value, cut around its ID.
type cookieParts struct{ Lead, ID, Tail string }

func (a *App) cookieParts(id string) cookieParts {
	value := a.sessions.CookieValue(id)
	at := strings.Index(value, id)
	if at < 0 || id == "" {
		return cookieParts{Lead: a.sessions.CookieName() + "=" + value}
	}
	return cookieParts{Lead: a.sessions.CookieName() + "=" + value[:at], ID: id, Tail: value[at+len(id):]}
}

// exchangeBlock is one request's exchange under a heading, its Redis
// commands split into the tutorial's own and this app's bookkeeping.
type exchangeBlock struct {
	Title string
	*exchange
	// The tutorial's own commands and the app's bookkeeping, as tables for
	// the "commands" template.
	MainTable, BookkeepingTable commandTable
}

func newExchangeBlock(p page, titleKey string, e *exchange) exchangeBlock {
	main, bookkeeping := splitCommands(e.Commands)
	return exchangeBlock{Title: p.T(titleKey), exchange: e,
		MainTable: newCommandTable(main), BookkeepingTable: newCommandTable(bookkeeping)}
}

// result is the last change as the page's result block shows it.
type result struct {
	flash
	OldKey string // of the old ID, after a rotate or destroy
	// DelCommand and DelReply are the DEL of the old key as the POST sent it
	// and Redis answered; ExpiredCookie the Set-Cookie that expired the
	// cookie (destroy).
	DelCommand, DelReply string
	ExpiredCookie        string
}

// newResult finds in what the POST sent what its result block shows.
func (a *App) newResult(f flash) result {
	r := result{flash: f}
	if f.OldID == "" || f.Exchange == nil {
		return r
	}
	r.OldKey = a.keys.Session(f.OldID)
	for _, cmd := range f.Exchange.Commands {
		if cmd.Command == "DEL "+r.OldKey {
			r.DelCommand, r.DelReply = cmd.Command, cmd.Reply
		}
	}
	for _, h := range f.Exchange.SetCookies {
		if strings.HasPrefix(h, a.sessions.CookieName()+"=;") && strings.Contains(h, "Max-Age=0") {
			r.ExpiredCookie = h
		}
	}
	return r
}

type valueRow struct {
	Name, Type, Display string
	TypeLabel           string // Type in the page's language
}

type limits struct{ NameLength, ValueBytes, Variables int }

func (a *App) indexPage(c echo.Context, v *sessionstore.Visit, done flash) indexPage {
	p := a.page(c, "index.title")
	st := a.state(c, v)
	rows := make([]valueRow, 0, len(st.Values))
	for name, val := range st.Values {
		t := typeName(val)
		rows = append(rows, valueRow{Name: name, Type: t, Display: fmt.Sprint(val), TypeLabel: p.T("type." + t)})
	}
	slices.SortFunc(rows, func(x, y valueRow) int { return cmp.Compare(x.Name, y.Name) })
	key := st.Redis.Key
	data := indexPage{
		page:       p,
		Session:    st,
		Rows:       rows,
		Result:     a.newResult(done),
		Key:        keyParts{Prefix: a.keys.Prefix, ID: v.Session.ID},
		Cookie:     a.cookieParts(v.Session.ID),
		Express:    a.cfg.Express,
		MaxAgeMs:   st.Cookie.MaxAge * 1000,
		TTLSeconds: seconds(st.Redis.TTLms),
		ExpiresAt:  time.Now().Add(time.Duration(st.Cookie.MaxAge) * time.Second).UTC().Format(http.TimeFormat), // as in Set-Cookie
		CLI: []string{
			a.redis.CLI + " GET " + key,
			a.redis.CLI + " PTTL " + key,
			a.redis.CLI + " STRLEN " + key,
			a.redis.ScanCommand(a.keys.Pattern()),
		},
		Limits: limits{MaxNameLength, MaxValueBytes, MaxVariables},
	}
	if !a.cfg.Express {
		data.Twin = a.newTwin(v.Session, a.twinExpiry(c, v.IsNew))
	}
	if done.Exchange != nil {
		data.Exchanges = append(data.Exchanges, newExchangeBlock(p, "wire.previous", done.Exchange))
	}
	data.Exchanges = append(data.Exchanges, newExchangeBlock(p, "wire.this", a.currentExchange(c)))
	if a.sessions.Encoding() == "json" {
		var out bytes.Buffer
		if json.Indent(&out, v.Entry.Raw, "", "  ") == nil {
			data.Pretty = out.String()
		}
	} else {
		data.HexDump = hex.Dump(v.Entry.Raw)
	}
	return data
}

// typeName names a stored value's type as a learner would.
func typeName(v any) string {
	switch v.(type) {
	case float64:
		return "number"
	case int64, int:
		return "integer"
	case string:
		return "string"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}

// errorPage is the data of the error page.
type errorPage struct {
	page
	Status     int
	Code       string
	MessageKey string
	MaxAge     int // the session lifetime, which the expired page names
}

func (a *App) errorPage(c echo.Context, e *appError) errorPage {
	return errorPage{page: a.page(c, "error.title"), Status: e.Status, Code: e.Code, MessageKey: e.Key, MaxAge: a.cfg.MaxAge}
}
