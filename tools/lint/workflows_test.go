package lint

import (
	"io"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// Every workflow passes actionlint: syntax, expressions, matrix and job
// outputs, action inputs, and shellcheck on each run step.
func TestWorkflowsPassActionlint(t *testing.T) {
	root := corpus.RepoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github/workflows/*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("workflows %v, %v; want the pull request, main and release workflows", files, err)
	}
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is needed to check run steps (tools/test.sh installs it): %v", err)
	}
	linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Shellcheck: shellcheck})
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		findings, err := linter.LintFile(file, nil)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, f := range findings {
			t.Errorf("%s:%d:%d: %s [%s]", rel, f.Line, f.Column, f.Message, f.Kind)
		}
	}
}
