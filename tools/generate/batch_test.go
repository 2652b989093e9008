package generate

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// Gazelle runs over protocols/ in batches; what they find is what one run
// over all of it finds, a BUILD file in a protocol's subdirectory and one
// in protocols/ itself included.
func TestBatchesFindWhatOneRunFinds(t *testing.T) {
	root := corpus.Root(t)
	for rel, content := range map[string]string{
		// Rules named like generated ones, in packages that are no
		// protocol's: gazelle deletes them.
		"protocols/BUILD.bazel":             "# gazelle:lang forge\n\npkg_tar(\n    name = \"archive\",\n)\n",
		"protocols/acala/extra/BUILD.bazel": "pkg_tar(\n    name = \"archive\",\n)\n",
	} {
		file := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	defer func(n int) { batchSize = n }(batchSize)
	batchSize = 1 << 20
	whole, err := Changes(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) < 30 || whole["protocols/acala/extra/BUILD.bazel"] == nil || whole["protocols/BUILD.bazel"] == nil {
		t.Fatalf("one run changes %d files; want every protocol's, protocols/BUILD.bazel and protocols/acala/extra/BUILD.bazel", len(whole))
	}
	batchSize = 3
	batched, err := Changes(root)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(whole, batched) {
		for k := range whole {
			if string(whole[k]) != string(batched[k]) {
				t.Errorf("%s differs between one run and batches", k)
			}
		}
		for k := range batched {
			if whole[k] == nil {
				t.Errorf("%s: only batches change it", k)
			}
		}
	}
}
