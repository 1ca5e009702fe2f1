// Package buildinfo tells which build of the app is running, so that two
// instances of different builds can be told apart and a bug report can name
// the build it is about.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// stamped is set at link time by builds that know their version but have no
// Git metadata to stamp, such as the Dockerfile's:
//
//	go build -ldflags "-X redis-session-demo/internal/buildinfo.stamped=v1.2.3" .
var stamped string

// Version is the build's version: the value stamped at link time, else the
// Git commit that Go's VCS stamping recorded (with "-dirty" when the work
// tree had uncommitted changes), else the module version of a
// `go install module@version`, else "devel".
func Version() string { return version() }

var version = sync.OnceValue(func() string {
	info, _ := debug.ReadBuildInfo()
	return resolve(stamped, info)
})

// resolve picks the version from what the build recorded; see Version.
func resolve(stamped string, info *debug.BuildInfo) string {
	if stamped != "" {
		return stamped
	}
	if info == nil {
		return "devel"
	}
	var revision string
	var dirty bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12] // as `git log --abbrev=12` shows it
		}
		if dirty {
			revision += "-dirty"
		}
		return revision
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	return "devel"
}
