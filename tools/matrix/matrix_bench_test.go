package matrix

import (
	"fmt"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// BenchmarkMatrix1000 measures what `forge matrix` does for a change that
// touches every one of 1,000 generated protocols: load them, derive the
// affected ones from the paths and print the matrix.
func BenchmarkMatrix1000(b *testing.B) {
	root := b.TempDir()
	files := map[string]string{}
	var changes []Change
	for i := range 1000 {
		dir := fmt.Sprintf("protocols/p%04d", i)
		files[dir+"/VERSION"] = fmt.Sprintf("v1.%d.0\n", i)
		files[dir+"/MANIFEST"] = fmt.Sprintf("/usr/local/bin/p%04d\n/usr/local/lib/p%04d/libp.so\n", i, i)
		if i%2 == 0 {
			files[dir+"/TARGETS"] = "static\nglibc\n"
		}
		if i%3 == 0 {
			files[dir+"/RUNNER"] = "self-hosted\nubuntu-22.04\n"
		}
		changes = append(changes, Change{Path: dir + "/VERSION"})
	}
	writeFilesB(b, root, files)
	b.ResetTimer()
	entries := 0
	for b.Loop() {
		repo, err := spec.Load(root)
		if err != nil {
			b.Fatal(err)
		}
		m := For(repo, ByPath(repo, changes))
		entries = len(m.Include)
		_ = m.JSON()
	}
	b.ReportMetric(float64(entries), "entries")
}
