package expresstest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestModuleRootFindsTheApp: from this package's directory, where go test
// runs its tests, the module root is found and holds the Express app.
func TestModuleRootFindsTheApp(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"server.js", "package.json", "package-lock.json"} {
		if _, err := os.Stat(filepath.Join(root, Dir, name)); err != nil {
			t.Errorf("the Express app lacks %s: %v", name, err)
		}
	}
}
