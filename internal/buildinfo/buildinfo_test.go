package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	const commit = "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"stamped wins", "v1.2.3", vcs("vcs.revision", commit), "v1.2.3"},
		{"commit, shortened", "", vcs("vcs.revision", commit, "vcs.modified", "false"), "0123456789ab"},
		{"uncommitted changes", "", vcs("vcs.revision", commit, "vcs.modified", "true"), "0123456789ab-dirty"},
		{"go install module@version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "v0.3.0"},
		{"no metadata", "", vcs(), "devel"},
		{"no build info", "", nil, "devel"},
	}
	for _, tt := range tests {
		if got := resolve(tt.stamped, tt.info); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
