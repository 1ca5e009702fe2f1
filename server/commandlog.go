package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// redisCommand is one command a request sent to Redis, written the way
// redis-cli shows it.
type redisCommand struct {
	Command string `json:"command"`
	Reply   string `json:"reply"`
	// Micros is the time to the reply; commands of one pipeline share it,
	// because they went to Redis in one round trip.
	Micros int64 `json:"duration_us"`
	// RoundTrip numbers the round trips of the request from 1; commands
	// with the same number were pipelined together.
	RoundTrip int `json:"round_trip"`
}

// commandLog collects the commands of one request. A request's handlers and
// the session store may run Redis calls from several goroutines, hence the
// lock.
type commandLog struct {
	mu         sync.Mutex
	commands   []redisCommand
	roundTrips int
}

type commandLogKey struct{}

// withCommandLog returns a context whose Redis commands are recorded in the
// returned log.
func withCommandLog(ctx context.Context) (context.Context, *commandLog) {
	log := &commandLog{}
	return context.WithValue(ctx, commandLogKey{}, log), log
}

func commandLogFrom(ctx context.Context) *commandLog {
	log, _ := ctx.Value(commandLogKey{}).(*commandLog)
	return log
}

// Commands returns a copy of what was recorded so far.
func (l *commandLog) Commands() []redisCommand {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]redisCommand(nil), l.commands...)
}

// record adds one round trip. For a single command go-redis stores the error
// in the command only after the hooks return, so it is passed as err; a
// pipeline's commands already hold theirs.
func (l *commandLog) record(took time.Duration, err error, cmds ...redis.Cmder) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roundTrips++
	for _, cmd := range cmds {
		if isSetup(cmd) {
			continue
		}
		l.commands = append(l.commands, redisCommand{
			Command:   formatCommand(cmd),
			Reply:     formatReply(cmd, replyErr(err, cmd)),
			Micros:    took.Microseconds(),
			RoundTrip: l.roundTrips,
		})
	}
}

// commandRecorder is a go-redis hook that records each command into the
// log carried by the command's context; without a log it only passes the
// command on.
type commandRecorder struct{}

func (commandRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }

func (commandRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		log := commandLogFrom(ctx)
		if log == nil {
			return next(ctx, cmd)
		}
		start := time.Now()
		err := next(ctx, cmd)
		log.record(time.Since(start), err, cmd)
		return err
	}
}

func (commandRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		log := commandLogFrom(ctx)
		if log == nil {
			return next(ctx, cmds)
		}
		start := time.Now()
		err := next(ctx, cmds)
		log.record(time.Since(start), nil, cmds...)
		return err
	}
}

// recordCommands gives every request a command log of its own.
func recordCommands(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, _ := withCommandLog(c.Request().Context())
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// isSetup reports connection set-up that go-redis sends on its own, which
// says nothing about sessions.
func isSetup(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "client", "readonly":
		return true
	}
	return false
}

// optionWords are the option tokens go-redis sends in lower case; they are
// shown in upper case like the command names, as the Redis docs write them.
var optionWords = map[string]bool{"ex": true, "px": true, "nx": true, "xx": true, "keepttl": true, "persist": true, "match": true, "count": true}

// Arguments and replies longer than this are shortened with an ellipsis.
const shownLength = 100

func formatCommand(cmd redis.Cmder) string {
	parts := make([]string, 0, len(cmd.Args()))
	for i, arg := range cmd.Args() {
		var s string
		if b, ok := arg.([]byte); ok {
			s = string(b)
		} else {
			s = fmt.Sprint(arg)
		}
		if i == 0 || optionWords[s] {
			s = strings.ToUpper(s)
		}
		parts = append(parts, quoteArg(shorten(s)))
	}
	return strings.Join(parts, " ")
}

func replyErr(err error, cmd redis.Cmder) error {
	if err != nil {
		return err
	}
	return cmd.Err()
}

func formatReply(cmd redis.Cmder, err error) string {
	switch {
	case errors.Is(err, redis.Nil):
		return "(nil)"
	case err != nil:
		return "(error) " + shorten(err.Error())
	}
	switch c := cmd.(type) {
	case *redis.StringCmd:
		return strconv.Quote(shorten(c.Val()))
	case *redis.StatusCmd:
		return c.Val()
	case *redis.IntCmd:
		return fmt.Sprintf("(integer) %d", c.Val())
	case *redis.DurationCmd:
		return fmt.Sprintf("(integer) %d", milliseconds(c.Val()))
	case *redis.BoolCmd:
		if cmd.Name() == "set" { // SET ... NX answers OK or nil
			return map[bool]string{true: "OK", false: "(nil)"}[c.Val()]
		}
		return map[bool]string{true: "(integer) 1", false: "(integer) 0"}[c.Val()]
	case *redis.ScanCmd:
		keys, cursor := c.Val()
		return fmt.Sprintf("cursor %d, %d keys", cursor, len(keys))
	case *redis.Cmd:
		switch v := c.Val().(type) {
		case int64:
			return fmt.Sprintf("(integer) %d", v)
		case string:
			return strconv.Quote(shorten(v))
		}
		return shorten(fmt.Sprint(c.Val()))
	}
	return shorten(cmd.String())
}

func shorten(s string) string {
	if len(s) <= shownLength {
		return s
	}
	cut := shownLength
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quoteArg quotes an argument the way redis-cli would need it typed.
func quoteArg(s string) string {
	if s == "" || strings.ContainsAny(s, " \"'\\\t\n") || !utf8.ValidString(s) {
		return strconv.Quote(s)
	}
	return s
}
