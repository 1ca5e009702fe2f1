package commandlog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestFormatCommand(t *testing.T) {
	ctx := context.Background()
	long := strings.Repeat("x", 150)
	for _, tc := range []struct {
		name string
		cmd  redis.Cmder
		want string
	}{
		{"name upper-cased", redis.NewStringCmd(ctx, "get", "k"), "GET k"},
		{"option words upper-cased", redis.NewStatusCmd(ctx, "set", "k", "v", "ex", 60, "nx"), "SET k v EX 60 NX"},
		{"scan options", redis.NewScanCmd(ctx, nil, "scan", 0, "match", "p:*", "count", 1000), "SCAN 0 MATCH p:* COUNT 1000"},
		{"keepttl and xx", redis.NewStatusCmd(ctx, "set", "k", "v", "keepttl", "xx"), "SET k v KEEPTTL XX"},
		{"other words keep their case", redis.NewStatusCmd(ctx, "set", "Key", "Value"), "SET Key Value"},
		{"bytes shown as text", redis.NewStatusCmd(ctx, "set", "k", []byte(`{"a":1}`)), `SET k "{\"a\":1}"`},
		{"space quoted", redis.NewStatusCmd(ctx, "set", "k", "two words"), `SET k "two words"`},
		{"single quote quoted", redis.NewStatusCmd(ctx, "set", "k", "it's"), `SET k "it's"`},
		{"backslash escaped", redis.NewStatusCmd(ctx, "set", "k", `a\b`), `SET k "a\\b"`},
		{"newline escaped", redis.NewStatusCmd(ctx, "set", "k", "a\nb"), `SET k "a\nb"`},
		{"tab escaped", redis.NewStatusCmd(ctx, "set", "k", "a\tb"), `SET k "a\tb"`},
		{"empty quoted", redis.NewStatusCmd(ctx, "set", "k", ""), `SET k ""`},
		{"invalid UTF-8 escaped", redis.NewStatusCmd(ctx, "set", "k", []byte{0xff, 'a'}), `SET k "\xffa"`},
		{"UTF-8 left as is", redis.NewStatusCmd(ctx, "set", "k", "größe"), "SET k größe"},
		{"long argument shortened", redis.NewStatusCmd(ctx, "set", "k", long), "SET k " + long[:100] + "…"},
		{"DEL character quoted", redis.NewStatusCmd(ctx, "set", "k", "a\x7f"), `SET k "a\x7f"`},
		{"C1 control quoted", redis.NewStatusCmd(ctx, "set", "k", "a\u0085"), `SET k "a\u0085"`},
		{"U+FFFD itself left as is", redis.NewStatusCmd(ctx, "set", "k", "a\ufffd"), "SET k a\ufffd"},
		{"integers as digits", redis.NewStatusCmd(ctx, "set", "k", int64(-12), "px", 120000), "SET k -12 PX 120000"},
		{"other kinds through fmt", redis.NewStatusCmd(ctx, "set", "k", 1.5, true), "SET k 1.5 true"},
		{"a name met again", redis.NewStringCmd(ctx, "get", "k2"), "GET k2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatCommand(tc.cmd); got != tc.want {
				t.Errorf("formatCommand(%v) = %q, want %q", tc.cmd.Args(), got, tc.want)
			}
		})
	}
}

func TestFormatReply(t *testing.T) {
	ctx := context.Background()
	str := func(v string) redis.Cmder { c := redis.NewStringCmd(ctx, "get", "k"); c.SetVal(v); return c }
	status := func(v string) redis.Cmder { c := redis.NewStatusCmd(ctx, "set", "k", "v"); c.SetVal(v); return c }
	integer := func(v int64) redis.Cmder { c := redis.NewIntCmd(ctx, "del", "k"); c.SetVal(v); return c }
	duration := func(name string, precision, v time.Duration) redis.Cmder {
		c := redis.NewDurationCmd(ctx, precision, name, "k")
		c.SetVal(v)
		return c
	}
	boolean := func(v bool, args ...any) redis.Cmder { c := redis.NewBoolCmd(ctx, args...); c.SetVal(v); return c }
	scan := func(keys []string, cursor uint64) redis.Cmder {
		c := redis.NewScanCmd(ctx, nil, "scan", 0)
		c.SetVal(keys, cursor)
		return c
	}
	generic := func(v any) redis.Cmder { c := redis.NewCmd(ctx, "eval", "script", 0); c.SetVal(v); return c }
	failed := func(err error) redis.Cmder { c := redis.NewStringCmd(ctx, "get", "k"); c.SetErr(err); return c }
	long := strings.Repeat("y", 120)
	for _, tc := range []struct {
		name string
		cmd  redis.Cmder
		want string
	}{
		{"string quoted", str(`{"a":1}`), `"{\"a\":1}"`},
		{"empty string", str(""), `""`},
		{"long string shortened", str(long), `"` + long[:100] + `…"`},
		{"status", status("OK"), "OK"},
		{"integer", integer(3), "(integer) 3"},
		{"PTTL in milliseconds", duration("pttl", time.Millisecond, 1500*time.Millisecond), "(integer) 1500"},
		{"PTTL without TTL", duration("pttl", time.Millisecond, -1), "(integer) -1"},
		{"PTTL without key", duration("pttl", time.Millisecond, -2), "(integer) -2"},
		{"TTL in seconds", duration("ttl", time.Second, 90*time.Second), "(integer) 90"},
		{"TTL without TTL", duration("ttl", time.Second, -1), "(integer) -1"},
		{"TTL without key", duration("ttl", time.Second, -2), "(integer) -2"},
		{"SET NX that set", boolean(true, "set", "k", "v", "ex", 10, "nx"), "OK"},
		{"SET NX that did not", boolean(false, "set", "k", "v", "ex", 10, "nx"), "(nil)"},
		{"EXPIRE true", boolean(true, "expire", "k", 10), "(integer) 1"},
		{"EXPIRE false", boolean(false, "expire", "k", 10), "(integer) 0"},
		{"SETNX false", boolean(false, "setnx", "k", "v"), "(integer) 0"},
		{"scan page", scan([]string{"a", "b"}, 17), "cursor 17, 2 keys"},
		{"last scan page", scan(nil, 0), "cursor 0, 0 keys"},
		{"generic integer", generic(int64(1)), "(integer) 1"},
		{"generic string", generic("v 1"), `"v 1"`},
		{"generic other", generic([]any{"a", int64(2)}), "[a 2]"},
		{"nil reply", failed(redis.Nil), "(nil)"},
		{"error", failed(errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")),
			"(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{"long error shortened", failed(errors.New(long)), "(error) " + long[:100] + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatReply(tc.cmd, replyErr(nil, tc.cmd)); got != tc.want {
				t.Errorf("formatReply(%v) = %q, want %q", tc.cmd.Args(), got, tc.want)
			}
		})
	}
}

// TestFormatReplyHookError checks that the error a single command's hook
// gets wins over the command's own, which go-redis sets only later.
func TestFormatReplyHookError(t *testing.T) {
	cmd := redis.NewStringCmd(context.Background(), "get", "k")
	cmd.SetVal("stale")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no error", nil, `"stale"`},
		{"nil", redis.Nil, "(nil)"},
		{"wrapped nil", errors.Join(errors.New("wrapped"), redis.Nil), "(nil)"},
		{"timeout", context.DeadlineExceeded, "(error) context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatReply(cmd, replyErr(tc.err, cmd)); got != tc.want {
				t.Errorf("formatReply with %v = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestShorten(t *testing.T) {
	a99 := strings.Repeat("a", 99)
	for _, tc := range []struct {
		name, in, want string
	}{
		{"short", "abc", "abc"},
		{"exactly 100 bytes", strings.Repeat("a", 100), strings.Repeat("a", 100)},
		{"101 bytes", strings.Repeat("a", 101), strings.Repeat("a", 100) + "…"},
		// "é" is two bytes, 99 and 100: the cut at 100 would split it.
		{"two-byte rune across the cut", a99 + "é" + "bbb", a99 + "…"},
		// "€" is three bytes, 98 to 100.
		{"three-byte rune across the cut", a99[:98] + "€" + "bbb", a99[:98] + "…"},
		{"rune ending at the cut", a99[:98] + "é" + "bbb", a99[:98] + "é" + "…"},
		{"no rune start at all", strings.Repeat("\x80", 101), "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := shorten(tc.in); got != tc.want {
				t.Errorf("shorten(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestAppendArg(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"dev.blog:abc", "dev.blog:abc"},
		{"größe", "größe"},
		{"", `""`},
		{"a b", `"a b"`},
		{`a"b`, `"a\"b"`},
		{"a'b", `"a'b"`},
		{`a\b`, `"a\\b"`},
		{"a\nb", `"a\nb"`},
		{"a\rb", `"a\rb"`},
		{"a\x00b", `"a\x00b"`},
		{"\xffab", `"\xffab"`},
		{"a\x7f", `"a\x7f"`},
		{"a\u009fb", `"a\u009fb"`},
		{"a\u00a0b", "a\u00a0b"},
		{"\xe3\x81", `"\xe3\x81"`},
	} {
		if got := string(appendArg([]byte("x "), tc.in)); got != "x "+tc.want {
			t.Errorf("appendArg(%q) = %s, want x %s", tc.in, got, tc.want)
		}
	}
}

func TestMilliseconds(t *testing.T) {
	for _, tc := range []struct {
		in   time.Duration
		want int64
	}{
		{0, 0},
		{1500 * time.Millisecond, 1500},
		{time.Hour, 3_600_000},
		{999 * time.Microsecond, 0},
		{-1, -1},
		{-2, -2},
	} {
		if got := Milliseconds(tc.in); got != tc.want {
			t.Errorf("Milliseconds(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestIsSetup(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  redis.Cmder
		want bool
	}{
		{redis.NewMapStringInterfaceCmd(ctx, "hello", 3), true},
		{redis.NewStatusCmd(ctx, "auth", "pw"), true},
		{redis.NewStatusCmd(ctx, "AUTH", "user", "pw"), true},
		{redis.NewStatusCmd(ctx, "select", 2), true},
		{redis.NewBoolCmd(ctx, "client", "setname", "app"), true},
		{redis.NewStatusCmd(ctx, "readonly"), true},
		{redis.NewStringCmd(ctx, "get", "auth"), false},
		{redis.NewStatusCmd(ctx, "ping"), false},
	} {
		if got := isSetup(tc.cmd); got != tc.want {
			t.Errorf("isSetup(%v) = %v, want %v", tc.cmd.Args(), got, tc.want)
		}
	}
}
