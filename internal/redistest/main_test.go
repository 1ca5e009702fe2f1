package redistest

import (
	"os"
	"testing"
)

// TestMain says, after the tests, which of them could not run here.
func TestMain(m *testing.M) { os.Exit(Main(m)) }
