package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	mathrand "math/rand/v2"
	"net/http"
	"regexp"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/rbcervilla/redisstore/v9"
	"github.com/redis/go-redis/v9"
)

// sessionStore keeps sessions in Redis through the stock redisstore (which
// saves, deletes, serializes and writes the cookie) and fixes what that store
// gets wrong for this app:
//
//   - redisstore's New adopts whatever ID the cookie carries, even one Redis
//     does not hold, and Save then writes a key under it (session fixation).
//     Here a session is loaded only when Redis holds its key; otherwise the
//     visitor gets a fresh ID that this app generated.
//   - A read renews the TTL with GETEX and never writes the values back, so
//     a page load cannot overwrite a change made at the same time.
//   - Every change runs load-change-save under a per-session lock in Redis,
//     so concurrent changes (also from other app instances) are never lost.
type sessionStore struct {
	rdb        redis.UniversalClient
	stock      *redisstore.RedisStore
	serializer redisstore.SessionSerializer
	encoding   string // "json" or "gob", shown on the page
	cookieName string
	prefix     string
	options    sessions.Options
}

// cookieOptions is the one place that decides the session cookie's
// attributes.
func cookieOptions(cfg Config) sessions.Options {
	return sessions.Options{
		Path:   "/",        // every page of the app sees the session
		MaxAge: cfg.MaxAge, // equal to the Redis TTL; both are renewed together
		// Page scripts cannot read the ID, so an injected script cannot steal it.
		HttpOnly: true,
		// Not sent with cross-site POSTs: a second defence behind the CSRF token,
		// while a link from another site still opens the visitor's session.
		SameSite: http.SameSiteLaxMode,
		// HTTPS only in production; plain http://localhost would drop the cookie.
		Secure: cfg.Production,
	}
}

func newSessionStore(ctx context.Context, rdb redis.UniversalClient, cfg Config) *sessionStore {
	// NewRedisStore pings Redis and reports an error when it is down; the
	// store itself still works once Redis is back, and until then every
	// request gets a 503, so the error is not fatal here.
	stock, _ := redisstore.NewRedisStore(ctx, rdb)
	options := cookieOptions(cfg)
	serializer := newSerializer(cfg.Serializer)
	stock.Options(options)
	stock.KeyPrefix(cfg.KeyPrefix)
	stock.KeyGen(newSessionID)
	stock.Serializer(serializer)
	return &sessionStore{
		rdb:        rdb,
		stock:      stock,
		serializer: serializer,
		encoding:   cfg.Serializer,
		cookieName: cfg.CookieName,
		prefix:     cfg.KeyPrefix,
		options:    options,
	}
}

// Session IDs are 32 random bytes in unpadded base64url: 256 bits, and only
// characters that need no quoting in a cookie, a Redis key or a shell.
var sessionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

func newSessionID() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// key is the Redis key of session id: the same prefix and ID the stock store
// uses, so the key shown on the page is the key redisstore writes.
func (s *sessionStore) key(id string) string { return s.prefix + id }

// cookieID returns the session ID the request's cookie carries, or "" when
// there is none or it is not an ID this app could have issued (a value like
// "*", "..", 8 KiB of junk). Such a value is never sent to Redis.
func (s *sessionStore) cookieID(r *http.Request) string {
	c, err := r.Cookie(s.cookieName)
	if err != nil || !sessionIDPattern.MatchString(c.Value) {
		return ""
	}
	return c.Value
}

// redisEntry is what Redis holds under one session key.
type redisEntry struct {
	Key string
	Raw []byte // nil when Redis holds no such key
	TTL time.Duration
}

// visit is the session a GET request works with.
type visit struct {
	Session *sessions.Session
	Entry   redisEntry
	IsNew   bool  // this request created the session
	Flash   flash // what the previous POST changed, if anything
}

// open returns the visitor's live session with both clocks renewed, or else
// creates a session holding a random value, like the tutorial's GET /.
// Either way it sets the cookie on the response.
func (s *sessionStore) open(c echo.Context) (*visit, error) {
	ctx := c.Request().Context()
	if id := s.cookieID(c.Request()); id != "" {
		v, err := s.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if v != nil {
			// Rolling expiry: GETEX renewed the TTL; the cookie is renewed here.
			http.SetCookie(c.Response(), sessions.NewCookie(s.cookieName, id, &s.options))
			return v, nil
		}
	}
	return s.create(c)
}

// create saves a new session holding a random value under a fresh ID and
// reads back what Redis now holds.
func (s *sessionStore) create(c echo.Context) (*visit, error) {
	sess := s.blank()
	sess.Values["value"] = mathrand.Float64() // the tutorial's Math.random()
	if err := s.stock.Save(c.Request(), c.Response(), sess); err != nil {
		return nil, unavailable(err)
	}
	entry, err := s.inspect(c.Request().Context(), sess.ID)
	if err != nil {
		return nil, err
	}
	return &visit{Session: sess, Entry: entry, IsNew: true}, nil
}

// blank returns a session with no ID: the stock store's Save generates one.
func (s *sessionStore) blank() *sessions.Session {
	sess := sessions.NewSession(s.stock, s.cookieName)
	opts := s.options
	sess.Options = &opts
	sess.IsNew = true
	return sess
}

// load reads session id, renewing its TTL in the same command (GETEX), and
// takes the flash of the previous POST, all in one round trip. It returns
// nil when Redis holds no such key, or bytes the serializer cannot read.
func (s *sessionStore) load(ctx context.Context, id string) (*visit, error) {
	entry := redisEntry{Key: s.key(id)}
	var get, taken *redis.StringCmd
	var ttl *redis.DurationCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		get = p.GetEx(ctx, entry.Key, time.Duration(s.options.MaxAge)*time.Second)
		ttl = p.PTTL(ctx, entry.Key)
		taken = p.GetDel(ctx, flashKey(entry.Key))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, unavailable(err)
	}
	raw, err := get.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	sess := s.decode(id, raw)
	if sess == nil {
		return nil, nil
	}
	entry.Raw, entry.TTL = raw, ttl.Val()
	return &visit{Session: sess, Entry: entry, Flash: parseFlash(taken)}, nil
}

// read returns session id as Redis holds it, or nil, without renewing it:
// a change that fails must leave the TTL alone too, and one that succeeds
// renews it when it saves.
func (s *sessionStore) read(ctx context.Context, id string) (*sessions.Session, error) {
	raw, err := s.rdb.Get(ctx, s.key(id)).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, unavailable(err)
	}
	return s.decode(id, raw), nil
}

// decode turns stored bytes into a session, or nil when the serializer
// cannot read them: such a session is treated like a missing one.
func (s *sessionStore) decode(id string, raw []byte) *sessions.Session {
	sess := s.blank()
	sess.ID, sess.IsNew = id, false
	if err := s.serializer.Deserialize(raw, sess); err != nil {
		return nil
	}
	return sess
}

// inspect reads what Redis holds under session id, without renewing it.
func (s *sessionStore) inspect(ctx context.Context, id string) (redisEntry, error) {
	entry := redisEntry{Key: s.key(id)}
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

// errSessionGone means that the session a POST names is no longer in Redis:
// it expired, or another request destroyed or rotated it.
var errSessionGone = errors.New("session expired or destroyed")

// change runs edit on the freshest copy of session id while holding its
// lock, then saves it, renewing the TTL and the cookie. When edit fails
// nothing is saved.
func (s *sessionStore) change(c echo.Context, id string, edit func(*sessions.Session) error) (*sessions.Session, error) {
	var sess *sessions.Session
	err := s.withLock(c.Request().Context(), id, func(ctx context.Context) error {
		var err error
		if sess, err = s.read(ctx, id); err != nil {
			return err
		}
		if sess == nil {
			return errSessionGone
		}
		if err := edit(sess); err != nil {
			return err
		}
		return s.save(c, sess)
	})
	return sess, err
}

// rotate moves the values of session id to a new ID and deletes the old key:
// a visitor whose ID leaked keeps their data and the leaked ID stops working.
func (s *sessionStore) rotate(c echo.Context, id string) (*sessions.Session, error) {
	fresh := s.blank()
	err := s.withLock(c.Request().Context(), id, func(ctx context.Context) error {
		old, err := s.read(ctx, id)
		if err != nil {
			return err
		}
		if old == nil {
			return errSessionGone
		}
		fresh.Values = old.Values
		if err := s.save(c, fresh); err != nil {
			return err
		}
		if err := s.rdb.Del(ctx, s.key(id)).Err(); err != nil {
			// Undo, so that a failed rotation leaves only the old session.
			s.rdb.Del(context.WithoutCancel(ctx), s.key(fresh.ID))
			return unavailable(err)
		}
		return nil
	})
	return fresh, err
}

// destroy deletes session id from Redis and expires the cookie in the same
// response. The stock store does both when Save sees a negative MaxAge.
func (s *sessionStore) destroy(c echo.Context, id string) error {
	return s.withLock(c.Request().Context(), id, func(context.Context) error {
		sess := s.blank()
		sess.ID = id
		sess.Options.MaxAge = -1
		return s.save(c, sess)
	})
}

func (s *sessionStore) save(c echo.Context, sess *sessions.Session) error {
	if err := s.stock.Save(c.Request(), c.Response(), sess); err != nil {
		return unavailable(err)
	}
	return nil
}
