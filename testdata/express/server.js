// The tutorial's Express app, written for this project: express-session
// keeps the session in Redis through connect-redis, under the same cookie
// name, prefix and lifetime as the Go app's SESSION_COMPAT=express mode.
// The cross-stack tests (../../express_test.go) run it beside the Go app
// on one Redis and show that both read and change the same sessions.
//
//   PORT        port to listen on, on 127.0.0.1 (0: a free one)  default 3000
//   REDIS_URL   the Redis both apps share              default redis://127.0.0.1:6379
//   SECRETS     comma-separated; the first signs the cookie, all verify it
//   COOKIE_NAME the session cookie                     default web.engineer
//   PREFIX      glued to the session ID to make the Redis key  default dev.blog
//   MAX_AGE_MS  cookie lifetime, and so the Redis TTL  default 120000 (2 minutes)
'use strict';

const express = require('express');
const session = require('express-session');
const { RedisStore } = require('connect-redis');
const { createClient } = require('redis');

const env = process.env;
const secrets = (env.SECRETS || 'WANTEDSECRET').split(',').map((s) => s.trim()).filter(Boolean);

const client = createClient({ url: env.REDIS_URL || 'redis://127.0.0.1:6379' });
// Without a listener a lost connection would end the process.
client.on('error', (err) => console.error('redis:', err.message));

const app = express();
app.use(express.urlencoded({ extended: false }));
app.use(express.json());
app.use(session({
  name: env.COOKIE_NAME || 'web.engineer', // the tutorial's "key"
  secret: secrets, // signs the cookie "s:<id>.<signature>"
  store: new RedisStore({ client, prefix: env.PREFIX ?? 'dev.blog' }),
  resave: false, // write only a changed session; an unchanged one is only touched (EXPIRE)
  saveUninitialized: false, // no Redis key, and no cookie, until something is stored
  cookie: { path: '/', maxAge: Number(env.MAX_AGE_MS || 120000) },
}));

// What every route answers: the ID, the tutorial's value and the whole
// session as it would be stored (the values plus the "cookie" object).
const state = (req) => ({ id: req.sessionID, value: req.session.value, session: req.session });

// The tutorial's GET /: a random value, stored when the session has none.
app.get('/', (req, res) => {
  req.session.value ??= Math.random();
  res.json(state(req));
});

// The session as it is, changing nothing.
app.get('/state', (req, res) => res.json(state(req)));

// Set one variable: name and value from the query string or the body.
// Names of express-session's own fields and methods are refused.
const reserved = new Set(['cookie', 'id', 'req', 'regenerate', 'destroy', 'reload', 'save', 'touch', 'resetMaxAge']);
app.post('/set', (req, res) => {
  const { name, value } = { ...req.body, ...req.query };
  if (typeof name !== 'string' || !/^[A-Za-z0-9_]{1,64}$/.test(name) || reserved.has(name)) {
    return res.status(400).json({ error: 'want a name of A-Z a-z 0-9 _' });
  }
  req.session[name] = value;
  res.json(state(req));
});

// The tutorial's /session-delete: delete one variable, keep the session.
app.get('/session-delete', (req, res) => {
  delete req.session.value;
  res.json(state(req));
});

// The tutorial's req.session.destroy(): DEL of the Redis key. The cookie
// stays in the browser; its ID no longer finds anything.
app.get('/destroy', (req, res, next) => {
  const id = req.sessionID;
  req.session.destroy((err) => (err ? next(err) : res.json({ destroyed: true, id })));
});

client.connect().then(() => {
  const server = app.listen(Number(env.PORT ?? 3000), '127.0.0.1', () => {
    console.log(`listening on ${server.address().port}`);
  });
}, (err) => {
  console.error('cannot connect to Redis:', err.message);
  process.exit(1);
});
