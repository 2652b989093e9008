package lint

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
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

// usesLine is a `uses:` of a remote action: owner/repo[/path]@ref # comment.
var usesLine = regexp.MustCompile(`^\s*(?:-\s+)?uses:\s*([^\s#]+)\s*(?:#\s*(.*))?$`)

// The rules the workflows keep beyond what actionlint checks: every remote
// action pinned by a full commit SHA with the version in a comment (a tag
// can be moved to other code), no checkout that leaves the job's token in
// .git/config, a timeout on every job that runs steps, and one run at a
// time per workflow (review 8, 14, 17, 20).
func TestWorkflowsHardening(t *testing.T) {
	root := corpus.RepoRoot(t)
	files, err := filepath.Glob(filepath.Join(root, ".github/workflows/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sha := regexp.MustCompile(`^[0-9a-f]{40}$`)
	for _, file := range files {
		rel, _ := filepath.Rel(root, file)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			m := usesLine.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(m[1], "./") {
				continue
			}
			_, ref, _ := strings.Cut(m[1], "@")
			if !sha.MatchString(ref) || m[2] == "" {
				t.Errorf("%s:%d: %s is not pinned by commit SHA with its version in a comment", rel, i+1, m[1])
			}
		}
		w, errs := actionlint.Parse(data)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", rel, errs[0])
		}
		if w.Concurrency == nil {
			t.Errorf("%s: no concurrency", rel)
		}
		for id, j := range w.Jobs {
			if j.WorkflowCall != nil {
				continue
			}
			if j.TimeoutMinutes == nil {
				t.Errorf("%s: job %s has no timeout-minutes", rel, id)
			}
			for _, s := range j.Steps {
				a, ok := s.Exec.(*actionlint.ExecAction)
				if !ok || !strings.HasPrefix(a.Uses.Value, "actions/checkout@") {
					continue
				}
				if in := a.Inputs["persist-credentials"]; in == nil || in.Value.Value != "false" {
					t.Errorf("%s:%d: checkout without persist-credentials: false", rel, s.Pos.Line)
				}
			}
		}
	}
}
