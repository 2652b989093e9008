package lint

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bazelbuild/buildtools/build"
	"github.com/bazelbuild/buildtools/warn"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// starlarkParser returns how buildifier parses a file of this name, or nil
// for a file that is not Starlark. Golden BUILD files (BUILD.in, BUILD.want)
// are BUILD files under another name.
func starlarkParser(name string) func(string, []byte) (*build.File, error) {
	switch {
	case name == "MODULE.bazel":
		return build.ParseModule
	case strings.HasSuffix(name, ".bzl"):
		return build.ParseBzl
	case strings.HasSuffix(name, ".star"): // loadcheck's facts files
		return build.ParseDefault
	case name == "BUILD" || name == "BUILD.bazel" || name == "BUILD.in" || name == "BUILD.want" || strings.HasSuffix(name, ".BUILD"):
		return build.ParseBuild
	}
	return nil
}

func starlarkFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || strings.HasPrefix(d.Name(), "bazel-")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && starlarkParser(d.Name()) != nil {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestBuildifier(t *testing.T) {
	root := corpus.RepoRoot(t)
	files := starlarkFiles(t, root)
	if len(files) < 10 {
		t.Fatalf("found %d Starlark files under %s; the walk is broken", len(files), root)
	}
	reader := warn.NewFileReader(func(path string) ([]byte, error) {
		return os.ReadFile(filepath.Join(root, path))
	})
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, err := starlarkParser(filepath.Base(path))(rel, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if formatted := build.Format(f); !bytes.Equal(formatted, data) {
			t.Errorf("%s is not formatted: run `go tool buildifier %s`", rel, rel)
		}
		for _, finding := range warn.FileWarnings(f, warn.DefaultWarnings, nil, warn.ModeWarn, reader) {
			t.Errorf("%s:%d: %s: %s", rel, finding.Start.Line, finding.Category, finding.Message)
		}
	}
}
