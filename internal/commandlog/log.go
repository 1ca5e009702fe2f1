// Package commandlog records the Redis commands a request sends, written the
// way redis-cli shows them, so that the app can show a learner the Redis
// traffic behind each page. A request opts in with WithLog; a go-redis
// client records into that log through Hook.
package commandlog

import (
	"context"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Command is one command a request sent to Redis, written the way redis-cli
// shows it.
type Command struct {
	// Command is the command as one would type it into redis-cli, such as
	// "SET dev.blog:abc \"{}\" EX 3600".
	Command string `json:"command"`
	// Reply is the reply as redis-cli prints it, such as "OK" or "(nil)".
	Reply string `json:"reply"`
	// Micros is the time to the reply; commands of one pipeline share it,
	// because they went to Redis in one round trip.
	Micros int64 `json:"duration_us"`
	// RoundTrip numbers the round trips of the request from 1; commands
	// with the same number were pipelined together.
	RoundTrip int `json:"round_trip"`
}

// Log collects the commands of one request. A request's handlers and the
// session store may run Redis calls from several goroutines, hence the lock.
type Log struct {
	mu         sync.Mutex
	commands   []Command
	roundTrips int
}

type logKey struct{}

// WithLog returns a context whose Redis commands are recorded in the
// returned log.
func WithLog(ctx context.Context) (context.Context, *Log) {
	log := &Log{}
	return context.WithValue(ctx, logKey{}, log), log
}

// FromContext returns the log that WithLog put into ctx, or nil when there
// is none; a nil log records nothing and has no commands.
func FromContext(ctx context.Context) *Log {
	log, _ := ctx.Value(logKey{}).(*Log)
	return log
}

// Commands returns a copy of what was recorded so far.
func (l *Log) Commands() []Command {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Command(nil), l.commands...)
}

// record adds one round trip. For a single command go-redis stores the error
// in the command only after the hooks return, so it is passed as err; a
// pipeline's commands already hold theirs.
func (l *Log) record(took time.Duration, err error, cmds ...redis.Cmder) {
	// Formatting happens outside the lock: it is the slow part, and it only
	// reads the commands of this round trip.
	shown := make([]Command, 0, len(cmds))
	for _, cmd := range cmds {
		if isSetup(cmd) {
			continue
		}
		shown = append(shown, Command{
			Command: formatCommand(cmd),
			Reply:   formatReply(cmd, replyErr(err, cmd)),
			Micros:  took.Microseconds(),
		})
	}
	// A round trip of set-up commands only (the HELLO of a new connection)
	// gets no number, so that the numbers the page shows have no gaps.
	if len(shown) == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roundTrips++
	for i := range shown {
		shown[i].RoundTrip = l.roundTrips
	}
	l.commands = append(l.commands, shown...)
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
