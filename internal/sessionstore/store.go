// Package sessionstore keeps gorilla/sessions sessions in Redis through the
// stock redisstore, and fixes what that store gets wrong for a session a
// stranger can reach from the internet:
//
//   - redisstore's New adopts whatever ID the cookie carries, even one Redis
//     does not hold, and Save then writes a key under it (session fixation).
//     Here a session is loaded only when Redis holds its key; otherwise the
//     visitor gets a fresh ID that this store generated.
//   - A read renews the TTL with GETEX and never writes the values back, so
//     a page load cannot overwrite a change made at the same time.
//   - Every change runs load-change-save under a per-session lock in Redis,
//     so concurrent changes (also from other app instances) are never lost.
//
// The store knows HTTP only as far as cookies go: it reads the session ID
// from a request and sets the cookie on a response. It knows nothing of a
// web framework or of status codes; its errors say what happened
// (ErrNotFound, ErrBusy, ErrUnavailable, ErrUnreadable) and the caller
// decides what a visitor is told.
package sessionstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"
	"github.com/rbcervilla/redisstore/v9"
	"github.com/redis/go-redis/v9"
)

// Options configure a Store.
type Options struct {
	// CookieName is the name of the session cookie (the tutorial's "key").
	CookieName string
	// Keys derives the Redis keys from the session key prefix.
	Keys Keys
	// MaxAge is the session lifetime in seconds: both the Redis TTL and the
	// cookie's Max-Age, renewed together.
	MaxAge int
	// Secure sends the cookie over HTTPS only (production).
	Secure bool
	// Encoding is how values are stored: "json" (the default, readable in
	// redis-cli) or "gob" (the stock redisstore's encoding).
	Encoding string
	// LockTTL is how long a change's lock lives if its holder dies; it must
	// outlive the longest request, so that a holder's request has always
	// ended before its lock can expire under it. Default 3 s.
	LockTTL time.Duration
	// OnCreate fills the values of a session Open creates.
	OnCreate func(*sessions.Session)
	// NewPerMinute limits how many sessions Create makes per minute for one
	// client, as ClientOf names it; 0 means no limit.
	NewPerMinute int
	// ClientOf names the client of a request for NewPerMinute: its address,
	// as far as the caller trusts the proxies in between.
	ClientOf func(*http.Request) string
	// Express, when set, makes the store read and write sessions as
	// express-session and connect-redis do (see express.go): signed
	// cookies, 32-character IDs, a cookie object in the stored JSON.
	Express *ExpressOptions
}

// MaxStoredBytes caps what a session key may hold for this store to use
// it: a larger value is treated as no session. This app's own worst case
// is 32 variables of 1 KiB that JSON escapes to about 6 KiB each, some
// 200 KiB; a 20 MB value planted in Redis must not become a 60 MB page.
const MaxStoredBytes = 256 << 10

// DefaultLockTTL is the LockTTL of Options that set none.
const DefaultLockTTL = 3 * time.Second

// Store is the hardened session store. It is safe for concurrent use.
type Store struct {
	rdb        redis.UniversalClient
	stock      *redisstore.RedisStore
	serializer redisstore.SessionSerializer
	opts       Options
	cookie     sessions.Options
	// cookieAttrs caches what setCookie writes after the value.
	cookieAttrs atomic.Pointer[cookieAttrs]
}

// cookieOptions is the one place that decides the session cookie's
// attributes.
func cookieOptions(o Options) sessions.Options {
	return sessions.Options{
		Path:   "/",      // every page of the app sees the session
		MaxAge: o.MaxAge, // equal to the Redis TTL; both are renewed together
		// Page scripts cannot read the ID, so an injected script cannot
		// steal it. (express-session's cookie is HttpOnly by default too.)
		HttpOnly: true,
		// Not sent with cross-site POSTs: a second defence behind the CSRF
		// token, while a link from another site still opens the session.
		SameSite: http.SameSiteLaxMode,
		// HTTPS only in production; plain http://localhost would drop it.
		Secure: o.Secure,
	}
}

// NewStock returns the stock redisstore set up as Store uses it underneath:
// the same cookie, keys, IDs and serializer, none of Store's fixes. The
// fixation lab and the benchmarks use it to show the difference.
func NewStock(rdb redis.UniversalClient, o Options) *redisstore.RedisStore {
	// NewRedisStore pings Redis and reports an error when it is down; the
	// store works once Redis is back, so the error is not fatal here. The
	// ping runs without a caller's context so no request log records it.
	stock, _ := redisstore.NewRedisStore(context.Background(), rdb)
	stock.Options(cookieOptions(o))
	stock.KeyPrefix(o.Keys.Prefix)
	stock.KeyGen(NewID)
	if o.Express != nil {
		stock.KeyGen(newExpressID)
	}
	stock.Serializer(newSerializer(o))
	return stock
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, o Options) *Store {
	if o.Encoding != "gob" {
		o.Encoding = "json"
	}
	if o.LockTTL <= 0 {
		o.LockTTL = DefaultLockTTL
	}
	return &Store{
		rdb:        rdb,
		stock:      NewStock(rdb, o),
		serializer: newSerializer(o),
		opts:       o,
		cookie:     cookieOptions(o),
	}
}

// NewID returns a fresh session ID: 32 random bytes in unpadded base64url.
func NewID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Keys is the store's key scheme.
func (s *Store) Keys() Keys { return s.opts.Keys }

// CookieName is the name of the session cookie.
func (s *Store) CookieName() string { return s.opts.CookieName }

// Cookie returns the attributes every session cookie is set with.
func (s *Store) Cookie() sessions.Options { return s.cookie }

// Encoding is "json" or "gob".
func (s *Store) Encoding() string { return s.opts.Encoding }

// CookieID returns the session ID r's cookie holds, or "" when there is
// none, it is not an ID this store could have issued, or (Express) its
// signature is wrong.
func (s *Store) CookieID(r *http.Request) string {
	c, err := r.Cookie(s.opts.CookieName)
	if err != nil {
		return ""
	}
	id := c.Value
	if s.opts.Express != nil {
		value, err := url.PathUnescape(c.Value)
		if err != nil {
			return ""
		}
		id, _ = unsign(value, s.opts.Express.Secrets)
	}
	if !ValidID(id) {
		return ""
	}
	return id
}

// CookieValue is what the session cookie of id holds: the ID itself, or
// (Express) the URL-encoded signed ID.
func (s *Store) CookieValue(id string) string {
	if s.opts.Express == nil || id == "" {
		return id
	}
	return ExpressCookieValue(id, s.opts.Express.Secrets[0])
}

// setCookie sets the session cookie of id on w, with the store's
// attributes; maxAge < 0 expires it. It is the one place the store writes
// the cookie: the stock store's own Set-Cookie never reaches the browser,
// because in Express mode the value must be signed.
//
// Every page sets it, so the usual case, the store's own max-age and a
// value that needs no quoting, skips http.Cookie's checks and formatting:
// everything after the value is the same for every cookie set within one
// second, and is made once for that second, by http.Cookie itself.
func (s *Store) setCookie(w http.ResponseWriter, id string, maxAge int) {
	value := s.CookieValue(id)
	if maxAge != s.cookie.MaxAge || maxAge <= 0 || !plainCookieValue(value) {
		opts := s.cookie
		opts.MaxAge = maxAge
		http.SetCookie(w, sessions.NewCookie(s.opts.CookieName, value, &opts))
		return
	}
	now := time.Now().Unix()
	attrs := s.cookieAttrs.Load()
	if attrs == nil || attrs.second != now {
		// As sessions.NewCookie writes it, in this second: Expires is
		// MaxAge seconds on, to the second.
		c := sessions.NewCookie(s.opts.CookieName, "x", &s.cookie)
		c.Expires = time.Unix(now, 0).Add(time.Duration(maxAge) * time.Second)
		text, ok := strings.CutPrefix(c.String(), s.opts.CookieName+"=x")
		if !ok { // a name http.Cookie refuses: it writes nothing
			return
		}
		attrs = &cookieAttrs{second: now, text: text}
		s.cookieAttrs.Store(attrs)
	}
	w.Header().Add("Set-Cookie", s.opts.CookieName+"="+value+attrs.text)
}

// cookieAttrs are the attributes of the session cookie, from "; Path" on,
// as http.Cookie writes them for a cookie set in one second.
type cookieAttrs struct {
	second int64 // Unix time
	text   string
}

// plainCookieValue reports whether http.Cookie writes v as it is: no
// byte it would drop, and no space or comma, which it would quote.
func plainCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\' {
			return false
		}
	}
	return true
}

// Entry is what Redis holds under one session key.
type Entry struct {
	Key string
	Raw []byte        // nil when Redis holds no such key
	TTL time.Duration // Redis's PTTL: -2 for no key, -1 for no expiry
}

// Visit is the session a page load works with.
type Visit struct {
	Session *sessions.Session
	Entry   Entry
	IsNew   bool   // this request created the session
	Flash   []byte // what the previous change left for this page, if anything
}

// Open returns the visitor's live session with both clocks renewed, or
// else creates a session (filled by Options.OnCreate). Either way it sets
// the cookie on w. It reads the session in one round trip; a new session
// costs one more (two with NewPerMinute).
func (s *Store) Open(w http.ResponseWriter, r *http.Request) (*Visit, error) {
	return s.open(w, r, false)
}

// OpenAfterChange is Open for the page a change redirected to: in the same
// round trip it takes the report the change left (Visit.Flash).
func (s *Store) OpenAfterChange(w http.ResponseWriter, r *http.Request) (*Visit, error) {
	return s.open(w, r, true)
}

func (s *Store) open(w http.ResponseWriter, r *http.Request, takeFlash bool) (*Visit, error) {
	if id := s.CookieID(r); id != "" {
		v, err := s.load(r.Context(), id, takeFlash)
		if err != nil {
			return nil, err
		}
		if v != nil {
			// Rolling expiry: GETEX renewed the TTL; the cookie is renewed here.
			s.setCookie(w, id, s.cookie.MaxAge)
			return v, nil
		}
	}
	return s.Create(w, r)
}

// Create saves a new session under a fresh ID and sets its cookie on w.
// Its Entry is what was written: the serialized bytes and the full TTL.
func (s *Store) Create(w http.ResponseWriter, r *http.Request) (*Visit, error) {
	if err := s.admitNew(r); err != nil {
		return nil, err
	}
	sess := s.blank()
	if s.opts.OnCreate != nil {
		s.opts.OnCreate(sess)
	}
	if err := s.save(w, r, sess); err != nil {
		return nil, err
	}
	// The stock store serialized the session for its SET; doing it once
	// more here costs microseconds, where reading it back cost a round trip.
	raw, err := s.serializer.Serialize(sess)
	if err != nil {
		return nil, err
	}
	entry := Entry{Key: s.opts.Keys.Session(sess.ID), Raw: raw, TTL: time.Duration(s.opts.MaxAge) * time.Second}
	return &Visit{Session: sess, Entry: entry, IsNew: true}, nil
}

// blank returns a session with no ID: the stock store's Save generates one.
func (s *Store) blank() *sessions.Session {
	sess := sessions.NewSession(s.stock, s.opts.CookieName)
	opts := s.cookie
	sess.Options = &opts
	sess.IsNew = true
	return sess
}

// load reads session id, renewing its TTL in the same command (GETEX), and
// when asked takes the flash of the previous change, all in one round trip. It returns
// nil when Redis holds no such key or nothing this store can use (bytes the
// serializer cannot read, a key of another type, a value over
// MaxStoredBytes): such a session is treated like a missing one, and its
// key is left alone, to expire with its TTL if it has one.
func (s *Store) load(ctx context.Context, id string, takeFlash bool) (*Visit, error) {
	entry := Entry{Key: s.opts.Keys.Session(id)}
	// A pipeline of its own rather than Pipelined's callback, whose
	// captured commands would each move to the heap: this runs on every page.
	p := s.rdb.Pipeline()
	get := p.GetEx(ctx, entry.Key, time.Duration(s.opts.MaxAge)*time.Second)
	ttl := p.PTTL(ctx, entry.Key)
	var flash *redis.StringCmd
	if takeFlash {
		flash = p.GetDel(ctx, s.opts.Keys.Flash(id))
	}
	_, err := p.Exec(ctx)
	// An error reply (WRONGTYPE) is about one key, not about Redis.
	if err != nil && !errors.Is(err, redis.Nil) && !isReply(err) {
		return nil, unavailable(err)
	}
	raw, err := get.Bytes()
	if err != nil { // redis.Nil (no such session) or an error reply
		return nil, nil
	}
	sess, err := s.decode(id, raw)
	if err != nil {
		return nil, nil
	}
	entry.Raw, entry.TTL = raw, ttl.Val()
	v := &Visit{Session: sess, Entry: entry}
	if flash != nil {
		v.Flash, _ = flash.Bytes()
	}
	return v, nil
}

// read returns session id as Redis holds it, without renewing it: a change
// that fails must leave the TTL alone too, and one that succeeds renews it
// when it saves.
func (s *Store) read(ctx context.Context, id string) (*sessions.Session, error) {
	raw, err := s.rdb.Get(ctx, s.opts.Keys.Session(id)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, ErrNotFound
	case isReply(err):
		return nil, fmt.Errorf("%w: %w", ErrUnreadable, err)
	case err != nil:
		return nil, unavailable(err)
	}
	return s.decode(id, raw)
}

// decode turns stored bytes into session id; its error wraps ErrUnreadable.
func (s *Store) decode(id string, raw []byte) (*sessions.Session, error) {
	if len(raw) > MaxStoredBytes {
		return nil, fmt.Errorf("%w: %d bytes stored, more than %d", ErrUnreadable, len(raw), MaxStoredBytes)
	}
	sess := s.blank()
	sess.ID, sess.IsNew = id, false
	if err := s.serializer.Deserialize(raw, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// Inspect reads what Redis holds under session id, without renewing it.
func (s *Store) Inspect(ctx context.Context, id string) (Entry, error) {
	entry := Entry{Key: s.opts.Keys.Session(id)}
	var get *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, entry.Key)
		ttl = p.PTTL(ctx, entry.Key)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return entry, unavailable(err)
	}
	entry.Raw, _ = get.Bytes()
	entry.TTL = ttl.Val()
	return entry, nil
}

// Exists reports whether Redis holds session id, without renewing it.
func (s *Store) Exists(ctx context.Context, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, s.opts.Keys.Session(id)).Result()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// A Report is what a change leaves for the next page load of its session
// (the flash): Open takes it in the round trip that loads the session. Make
// is called after the change is saved, with what went wrong after that
// (Rotate's old key left behind) or nil; what it returns (nil: nothing) is
// stored while the change's lock is still held, so it is never the report
// of another change. Storing it is best effort: a saved change stays saved.
type Report struct {
	Make func(sess *sessions.Session, problem error) []byte
	TTL  time.Duration
}

// Change runs edit on the freshest copy of session id while holding its
// lock, then saves it, renewing the TTL and the cookie on w, and stores
// report. When edit fails nothing is saved and its error is returned as it
// is.
func (s *Store) Change(w http.ResponseWriter, r *http.Request, id string, edit func(*sessions.Session) error, report Report) (*sessions.Session, error) {
	var sess *sessions.Session
	err := s.withLock(r.Context(), id, func(ctx context.Context) error {
		var err error
		if sess, err = s.read(ctx, id); err != nil {
			return err
		}
		if err := edit(sess); err != nil {
			return err
		}
		if err := s.save(w, r, sess); err != nil {
			return err
		}
		s.putReport(ctx, sess, report, nil)
		return nil
	})
	return sess, err
}

// Rotate moves the values of session id to a new ID, sets the new cookie on
// w and deletes the old key: a visitor whose ID leaked keeps their data,
// and the leaked ID stops working. The new key is written before anything
// is deleted, and never deleted afterwards, so a rotation cannot lose the
// session:
//
//   - when the new key cannot be written, Rotate returns nil and the error,
//     and the old session is untouched;
//   - once the new key is written, Rotate returns the new session (and the
//     new cookie is on w) even when deleting the old key then fails; that
//     failure is returned beside it. The old key may then still be there:
//     it expires with its TTL.
func (s *Store) Rotate(w http.ResponseWriter, r *http.Request, id string, report Report) (*sessions.Session, error) {
	var fresh *sessions.Session
	var leftOld error
	err := s.withLock(r.Context(), id, func(ctx context.Context) error {
		old, err := s.read(ctx, id)
		if err != nil {
			return err
		}
		sess := s.blank()
		sess.Values = old.Values
		if err := s.save(w, r, sess); err != nil {
			return err
		}
		fresh = sess
		if err := s.rdb.Del(ctx, s.opts.Keys.Session(id)).Err(); err != nil {
			leftOld = fmt.Errorf("rotated, but the old key may remain until its TTL ends: %w", writeFailed(err))
		}
		s.putReport(ctx, fresh, report, leftOld)
		return nil
	})
	if fresh != nil {
		return fresh, leftOld
	}
	return nil, err
}

// Destroy deletes session id (and any report left for it) from Redis and
// expires the cookie on w in the same response. The stock store does both
// for the session when Save sees a negative MaxAge.
//
// A destroyed session cannot carry a report to the next page, so report,
// if it makes one, is stored under a key of its own named by a fresh random
// token, which Destroy returns ("" when there is none): the next page finds
// it with TakeReport.
func (s *Store) Destroy(w http.ResponseWriter, r *http.Request, id string, report Report) (token string, err error) {
	err = s.withLock(r.Context(), id, func(ctx context.Context) error {
		sess := s.blank()
		sess.ID = id
		sess.Options.MaxAge = -1
		if err := s.save(w, r, sess); err != nil {
			return err
		}
		// Best effort: the flash would only describe a session that is gone.
		s.rdb.Del(ctx, s.opts.Keys.Flash(id))
		if report.Make == nil {
			return nil
		}
		if b := report.Make(sess, nil); b != nil {
			t, err := NewID()
			if err == nil && s.rdb.Set(ctx, s.opts.Keys.Report(t), b, report.TTL).Err() == nil {
				token = t
			}
		}
		return nil
	})
	return token, err
}

// TakeReport returns and deletes the report Destroy stored under token, or
// nil when there is none (any more): a report is read once.
func (s *Store) TakeReport(ctx context.Context, token string) ([]byte, error) {
	if !ValidID(token) {
		return nil, nil
	}
	b, err := s.rdb.GetDel(ctx, s.opts.Keys.Report(token)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, unavailable(err)
	}
	return b, nil
}

// putReport stores what report makes of sess, best effort.
func (s *Store) putReport(ctx context.Context, sess *sessions.Session, report Report, problem error) {
	if report.Make == nil {
		return
	}
	if b := report.Make(sess, problem); b != nil {
		s.rdb.Set(ctx, s.opts.Keys.Flash(sess.ID), b, report.TTL)
	}
}

// save writes sess through the stock store (SET with the TTL, or DEL when
// its MaxAge is negative), then sets or expires the cookie.
func (s *Store) save(w http.ResponseWriter, r *http.Request, sess *sessions.Session) error {
	err := s.stock.Save(r, discard{}, sess)
	switch {
	case err == nil && sess.Options.MaxAge < 0:
		s.setCookie(w, "", -1) // an expired cookie holds nothing
		return nil
	case err == nil:
		s.setCookie(w, sess.ID, sess.Options.MaxAge)
		return nil
	case errors.Is(err, ErrUnreadable): // the serializer refused the values
		return err
	}
	return writeFailed(err)
}

// discard is a ResponseWriter for the stock store's Save, whose own cookie
// setCookie replaces.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}
