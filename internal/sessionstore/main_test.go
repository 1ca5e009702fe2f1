package sessionstore

import (
	"os"
	"testing"

	"redis-session-demo/internal/redistest"
)

// TestMain says, after the tests, which of them could not run here.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
