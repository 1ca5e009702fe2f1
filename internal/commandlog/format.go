package commandlog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// optionWords are the option tokens go-redis sends in lower case, with the
// upper case they are shown in, as the Redis docs write them.
var optionWords = map[string]string{"ex": "EX", "px": "PX", "nx": "NX", "xx": "XX", "keepttl": "KEEPTTL", "persist": "PERSIST", "match": "MATCH", "count": "COUNT"}

// commandNames caches the upper case of the command names seen, a few
// dozen at most, since each request formats its own commands.
var commandNames sync.Map

// Arguments and replies longer than this are shortened with an ellipsis.
const shownLength = 100

// formatCommand writes cmd as one would type it into redis-cli.
func formatCommand(cmd redis.Cmder) string {
	b := make([]byte, 0, 128)
	for i, arg := range cmd.Args() {
		if i > 0 {
			b = append(b, ' ')
		}
		var s string
		switch a := arg.(type) { // the common kinds without fmt's reflection
		case string:
			s = a
		case []byte:
			s = string(a)
		case int64: // digits need neither quotes nor upper case
			b = strconv.AppendInt(b, a, 10)
			continue
		case int:
			b = strconv.AppendInt(b, int64(a), 10)
			continue
		default:
			s = fmt.Sprint(arg)
		}
		if i == 0 {
			upper, ok := commandNames.Load(s)
			if !ok {
				upper, _ = commandNames.LoadOrStore(s, strings.ToUpper(s))
			}
			s = upper.(string)
		} else if upper, ok := optionWords[s]; ok {
			s = upper
		}
		b = appendArg(b, shorten(s))
	}
	return string(b)
}

// replyErr is the error of cmd's reply: err when the hook got one, else the
// one cmd holds.
func replyErr(err error, cmd redis.Cmder) error {
	if err != nil {
		return err
	}
	return cmd.Err()
}

// formatReply writes cmd's reply the way redis-cli prints it.
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
		return "(integer) " + strconv.FormatInt(c.Val(), 10)
	case *redis.DurationCmd:
		return "(integer) " + strconv.FormatInt(durationReply(cmd.Name(), c.Val()), 10)
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

// durationReply turns go-redis's Duration back into the integer Redis sent:
// milliseconds for PTTL and PEXPIRETIME, seconds for TTL, EXPIRETIME and
// OBJECT IDLETIME.
func durationReply(name string, d time.Duration) int64 {
	if d >= 0 && !strings.HasPrefix(name, "p") {
		return int64(d / time.Second)
	}
	return Milliseconds(d)
}

// Milliseconds is d in milliseconds, as PTTL answers it, keeping Redis's -1
// (the key has no TTL) and -2 (there is no such key) as they are: go-redis
// stores those two replies as -1 ns and -2 ns.
func Milliseconds(d time.Duration) int64 {
	if d < 0 {
		return int64(d)
	}
	return d.Milliseconds()
}

// shorten cuts s to at most shownLength bytes plus an ellipsis, at the start
// of a UTF-8 sequence so that no character is cut in half.
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

// appendArg appends an argument the way redis-cli would need it typed: in
// double quotes with Go's escapes (redis-cli reads \n, \t, \" and \xff
// alike) when it is empty or holds a space, a quote, a backslash, a control
// character or bytes that are not UTF-8; else as it is.
func appendArg(b []byte, s string) []byte {
	if needsQuotes(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuotes(s string) bool {
	if s == "" {
		return true
	}
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || unicode.IsControl(r) {
			return true
		}
		i += size
	}
	return false
}
