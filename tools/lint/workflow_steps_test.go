package lint

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// These tests run the `run:` scripts of the workflows as GitHub runs them
// (the step's shell and flags, its env:, GITHUB_OUTPUT, RUNNER_TEMP) in real
// git repositories, with stand-ins for what only GitHub has: gh, the
// registries (crane), bazel, and `go run ./tools/forge`, which runs a forge
// built from this repository unless a test puts its own in place.

// step is one run: step of a workflow.
type step struct {
	name   string
	script string
	shell  []string
	env    map[string]bool // the names the step's env: declares
}

// loadStep reads the run: step of job whose id or name is stepName.
func loadStep(t *testing.T, workflow, job, stepName string) step {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpus.RepoRoot(t), ".github/workflows", workflow))
	if err != nil {
		t.Fatal(err)
	}
	w, errs := actionlint.Parse(data)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", workflow, errs[0])
	}
	j := w.Jobs[job]
	if j == nil {
		t.Fatalf("%s has no job %s", workflow, job)
	}
	for _, s := range j.Steps {
		if !(s.ID != nil && s.ID.Value == stepName || s.Name != nil && s.Name.Value == stepName) {
			continue
		}
		run, ok := s.Exec.(*actionlint.ExecRun)
		if !ok {
			t.Fatalf("%s: %s.%s is no run: step", workflow, job, stepName)
		}
		shell := ""
		for _, d := range []*actionlint.Defaults{w.Defaults, j.Defaults} {
			if d != nil && d.Run != nil && d.Run.Shell != nil {
				shell = d.Run.Shell.Value
			}
		}
		if run.Shell != nil {
			shell = run.Shell.Value
		}
		st := step{name: workflow + " " + job + "." + stepName, script: run.Run.Value, env: map[string]bool{}}
		// What GitHub runs for each shell (docs: "jobs.<job_id>.steps[*].shell").
		switch shell {
		case "bash":
			st.shell = []string{"bash", "--noprofile", "--norc", "-eo", "pipefail"}
		case "":
			st.shell = []string{"bash", "-e"}
		default:
			t.Fatalf("%s: shell %q", st.name, shell)
		}
		if strings.Contains(st.script, "${{") {
			t.Fatalf("%s: an expression inside run: is pasted into the script; pass it through env:", st.name)
		}
		if s.Env != nil {
			for _, v := range s.Env.Vars {
				st.env[v.Name.Value] = true
			}
		}
		return st
	}
	t.Fatalf("%s: job %s has no step %s", workflow, job, stepName)
	return step{}
}

// machine is what a runner gives a step: the checkout it runs in, stand-in
// commands ahead of the system's PATH, and environment variables of the
// runner itself (not of the step's env:).
type machine struct {
	dir     string
	bin     string
	machine map[string]string
	temp    string
}

var forgeOnce struct {
	sync.Once
	path string
	err  error
}

// forgeBinary builds forge from this repository once per test run.
func forgeBinary(t *testing.T) string {
	t.Helper()
	forgeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "forge-bin-")
		if err != nil {
			forgeOnce.err = err
			return
		}
		forgeOnce.path = filepath.Join(dir, "forge")
		cmd := exec.Command("go", "build", "-o", forgeOnce.path, "./tools/forge")
		cmd.Dir = corpus.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			forgeOnce.err = fmt.Errorf("go build ./tools/forge: %v\n%s", err, out)
		}
	})
	if forgeOnce.err != nil {
		t.Fatal(forgeOnce.err)
	}
	return forgeOnce.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if forgeOnce.path != "" {
		os.RemoveAll(filepath.Dir(forgeOnce.path))
	}
	os.Exit(code)
}

// newMachine makes a runner for a checkout at dir. Its `go` runs
// `go run ./tools/forge` as forge (a stand-in `forge` put in bin, or the
// one built from this repository) and `go run .../cmd/crane@VERSION` as the
// stand-in `crane` in bin; every other go command is the real go.
func newMachine(t *testing.T, dir string) *machine {
	t.Helper()
	m := &machine{dir: dir, bin: t.TempDir(), machine: map[string]string{}, temp: t.TempDir()}
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	forge := forgeBinary(t)
	m.standIn(t, "go", fmt.Sprintf(`case "$1 $2" in
"run ./tools/forge") shift 2; if [ -x %[1]q/forge ]; then exec %[1]q/forge "$@"; fi; exec %[2]q "$@" ;;
"run github.com/google/go-containerregistry/cmd/crane@"*) shift 2; exec %[1]q/crane "$@" ;;
esac
exec %[3]q "$@"
`, m.bin, forge, realGo))
	return m
}

// standIn puts an executable shell script named name on the machine's PATH.
func (m *machine) standIn(t *testing.T, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(m.bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// logger returns a stand-in body that appends its arguments (and stdin,
// when asked) to a log, and the log's path.
func (m *machine) logger(t *testing.T, name string) string {
	t.Helper()
	return filepath.Join(m.temp, name+".log")
}

// run runs s with env as the step's env:, which must give every variable
// the step declares and no other. It returns the step's outputs, its
// combined output, and its error.
func (m *machine) run(t *testing.T, s step, env map[string]string) (map[string]string, string, error) {
	t.Helper()
	for name := range s.env {
		if _, ok := env[name]; !ok {
			t.Fatalf("%s declares %s; the test gives no value", s.name, name)
		}
	}
	for name := range env {
		if !s.env[name] {
			t.Fatalf("%s declares no %s", s.name, name)
		}
	}
	script := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(s.script), 0o644); err != nil {
		t.Fatal(err)
	}
	output := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(output, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"PATH":              m.bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME":              t.TempDir(),
		"RUNNER_TEMP":       m.temp,
		"GITHUB_OUTPUT":     output,
		"GITHUB_REPOSITORY": "owner/repo",
		"GITHUB_RUN_ID":     "1001",
		"GITHUB_SHA":        strings.Repeat("c", 40),
	}
	for k, v := range m.machine {
		vars[k] = v
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(s.shell[0], append(s.shell[1:], script)...)
	cmd.Dir = m.dir
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	data, rerr := os.ReadFile(output)
	if rerr != nil {
		t.Fatal(rerr)
	}
	outputs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	return outputs, string(out), err
}

// gitRepo makes a repository on branch main whose first commit holds
// files, and returns its root.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	gitIn(t, root, "init", "-q", "-b", "main")
	commit(t, root, "first", files)
	return root
}

func gitIn(t *testing.T, root string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files and commits them, returning the commit's SHA.
func commit(t *testing.T, root, message string, files map[string]string) string {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, root, "add", "-A")
	gitIn(t, root, "commit", "-q", "-m", message)
	return gitIn(t, root, "rev-parse", "HEAD")
}

// protocols is a repository of four protocols: alpha builds on two
// runners, beta has two variants, delta has a go.mod of its own, as
// op-geth does, read by MODULE.bazel only.
var protocols = map[string]string{
	"MODULE.bazel":                "module(name = \"x\")\n",
	"README.md":                   "# x\n",
	"protocols/alpha/VERSION":     "v1.0.0\n",
	"protocols/alpha/MANIFEST":    "/usr/local/bin/alpha\n",
	"protocols/alpha/RUNNER":      "self-hosted\nubuntu-22.04\n",
	"protocols/alpha/BUILD.bazel": "\n",
	"protocols/beta/VERSION":      "v2.0.0\n",
	"protocols/beta/MANIFEST":     "/usr/local/bin/beta\n",
	"protocols/beta/TARGETS":      "static\nglibc\n",
	"protocols/beta/BUILD.bazel":  "\n",
	"protocols/delta/VERSION":     "v4.0.0\n",
	"protocols/delta/MANIFEST":    "/usr/local/bin/delta\n",
	"protocols/delta/go.mod":      "module example.com/delta\n\ngo 1.26\n",
	"protocols/delta/BUILD.bazel": "\n",
	"protocols/gamma/VERSION":     "v3.0.0\n",
	"protocols/gamma/MANIFEST":    "/usr/local/bin/gamma\n",
	"protocols/gamma/BUILD.bazel": "\n",
}

type entry struct {
	Protocol, Target, Runner string
	Primary                  bool
}

func matrixEntries(t *testing.T, js string) []string {
	t.Helper()
	var m struct{ Include []entry }
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("matrix %q: %v", js, err)
	}
	out := []string{}
	for _, e := range m.Include {
		out = append(out, e.Protocol+" "+e.Target+" "+e.Runner)
	}
	return out
}

// ghRunList is a stand-in gh for `gh run list`: it logs its arguments and
// applies the --jq filter to runs, the JSON GitHub would answer.
func ghRunList(t *testing.T, m *machine, runs string) string {
	t.Helper()
	log := m.logger(t, "gh")
	m.standIn(t, "gh", fmt.Sprintf(`printf '%%s\n' "$*" >> %q
jq=
while [ $# -gt 0 ]; do case "$1" in --jq) jq=$2; shift ;; esac; shift; done
printf '%%s' %q | jq -r "$jq"
`, log, runs))
	return log
}

var (
	alphaBoth    = []string{"alpha glibc self-hosted", "alpha glibc ubuntu-22.04"}
	everyEntry   = append(append([]string{}, alphaBoth...), "beta static ubuntu-latest", "beta glibc ubuntu-latest", "delta glibc ubuntu-latest", "gamma glibc ubuntu-latest")
	everyRelease = []string{"alpha glibc self-hosted", "beta static ubuntu-latest", "beta glibc ubuntu-latest", "delta glibc ubuntu-latest", "gamma glibc ubuntu-latest"}
)

// main.yaml's matrix step: the base is the commit of the last successful
// run of main.yaml, which survives the branch's first push (before is all
// zeros), a force push, and a failed run (workflows review 2 and 7).
func TestMainMatrixBase(t *testing.T) {
	s := loadStep(t, "main.yaml", "matrix", "matrix")
	env := map[string]string{"GH_TOKEN": "token", "BRANCH": "main"}
	runs := func(sha string) string { return `[{"headSha":"` + sha + `","conclusion":"success"}]` }

	t.Run("first push", func(t *testing.T) {
		// The push that creates main: before is 0000…, and no run succeeded.
		root := gitRepo(t, protocols)
		m := newMachine(t, root)
		log := ghRunList(t, m, "[]")
		out, combined, err := m.run(t, s, env)
		if err != nil {
			t.Fatalf("%v\n%s", err, combined)
		}
		if got := matrixEntries(t, out["matrix"]); !reflect.DeepEqual(got, everyEntry) {
			t.Errorf("matrix %v, want every entry", got)
		}
		if got := matrixEntries(t, out["releases"]); !reflect.DeepEqual(got, everyRelease) {
			t.Errorf("releases %v, want one per protocol and variant", got)
		}
		if !strings.Contains(combined, "no commit was deployed yet: every protocol") {
			t.Errorf("the log does not say why every protocol builds:\n%s", combined)
		}
		calls, _ := os.ReadFile(log)
		if want := "run list --repo owner/repo --workflow main.yaml --branch main --event push --status success --limit 1 --json headSha --jq .[0].headSha // \"\"\n"; string(calls) != want {
			t.Errorf("gh calls %q, want %q", calls, want)
		}
		if data, err := os.ReadFile(filepath.Join(m.temp, "releases/releases.json")); err != nil || strings.TrimSpace(string(data)) != out["releases"] {
			t.Errorf("releases.json %q, %v; want the releases output", data, err)
		}
	})

	t.Run("failed run", func(t *testing.T) {
		// alpha changed in a push whose run failed; gamma changes now.
		root := gitRepo(t, protocols)
		deployed := gitIn(t, root, "rev-parse", "HEAD")
		commit(t, root, "failed", map[string]string{"protocols/alpha/VERSION": "v1.0.1\n"})
		commit(t, root, "now", map[string]string{"protocols/gamma/VERSION": "v3.0.1\n"})
		m := newMachine(t, root)
		ghRunList(t, m, runs(deployed))
		out, combined, err := m.run(t, s, env)
		if err != nil {
			t.Fatalf("%v\n%s", err, combined)
		}
		if got, want := matrixEntries(t, out["matrix"]), append(append([]string{}, alphaBoth...), "gamma glibc ubuntu-latest"); !reflect.DeepEqual(got, want) {
			t.Errorf("matrix %v, want %v", got, want)
		}
	})

	t.Run("force push", func(t *testing.T) {
		// The deployed commit was replaced by a force push.
		root := gitRepo(t, protocols)
		first := gitIn(t, root, "rev-parse", "HEAD")
		deployed := commit(t, root, "deployed", map[string]string{"protocols/beta/VERSION": "v2.0.1\n"})
		gitIn(t, root, "reset", "-q", "--hard", first)
		commit(t, root, "rewritten", map[string]string{"protocols/gamma/VERSION": "v3.0.1\n"})
		for name, sha := range map[string]string{"still in the clone": deployed, "gone from the clone": strings.Repeat("ab", 20)} {
			m := newMachine(t, root)
			ghRunList(t, m, runs(sha))
			out, combined, err := m.run(t, s, env)
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, combined)
			}
			if got := matrixEntries(t, out["matrix"]); !reflect.DeepEqual(got, everyEntry) {
				t.Errorf("%s: matrix %v, want every entry", name, got)
			}
		}
	})

	t.Run("query mode, go.mod of an isolated module", func(t *testing.T) {
		// bazel is on PATH, as on GitHub's runners, and answers for delta's
		// go.mod as Bazel does for a file no rule names (review 6).
		root := gitRepo(t, protocols)
		deployed := gitIn(t, root, "rev-parse", "HEAD")
		commit(t, root, "bump", map[string]string{"protocols/delta/go.mod": "module example.com/delta\n\ngo 1.26.1\n"})
		m := newMachine(t, root)
		ghRunList(t, m, runs(deployed))
		bazelLog := m.logger(t, "bazel")
		m.standIn(t, "bazel", fmt.Sprintf(`printf '%%s\n' "$*" >> %q
echo "ERROR: no such target '//protocols/delta:go.mod': target 'go.mod' not declared in package 'protocols/delta'" >&2
exit 3
`, bazelLog))
		out, combined, err := m.run(t, s, env)
		if err != nil {
			t.Fatalf("%v\n%s", err, combined)
		}
		if got := matrixEntries(t, out["matrix"]); !reflect.DeepEqual(got, []string{"delta glibc ubuntu-latest"}) {
			t.Errorf("matrix %v, want delta", got)
		}
		if calls, _ := os.ReadFile(bazelLog); !strings.Contains(string(calls), `set("//protocols/delta:go.mod")`) {
			t.Errorf("bazel was not asked: %q", calls)
		}
	})

	t.Run("nothing to build", func(t *testing.T) {
		root := gitRepo(t, protocols)
		deployed := gitIn(t, root, "rev-parse", "HEAD")
		commit(t, root, "docs", map[string]string{"README.md": "# x\n\nMore.\n"})
		m := newMachine(t, root)
		ghRunList(t, m, runs(deployed))
		out, combined, err := m.run(t, s, env)
		if err != nil || out["empty"] != "true" || out["matrix"] != `{"include":[]}` {
			t.Errorf("outputs %v, %v\n%s; want an empty matrix", out, err, combined)
		}
	})

	t.Run("gh fails", func(t *testing.T) {
		// No base is no reason to guess one: the job fails.
		root := gitRepo(t, protocols)
		m := newMachine(t, root)
		m.standIn(t, "gh", "echo 'HTTP 502' >&2; exit 1\n")
		if out, combined, err := m.run(t, s, env); err == nil || out["matrix"] != "" {
			t.Errorf("outputs %v, %v\n%s; want a failure", out, err, combined)
		}
	})
}

// pull_request.yaml's matrix step: the pull request's changes against its
// base; a fork's entries run once per variant on GitHub-hosted runners.
func TestPullRequestMatrix(t *testing.T) {
	s := loadStep(t, "pull_request.yaml", "matrix", "matrix")
	root := gitRepo(t, protocols)
	gitIn(t, root, "checkout", "-q", "-b", "change")
	commit(t, root, "alpha", map[string]string{"protocols/alpha/VERSION": "v1.0.1\n"})
	for _, tc := range []struct {
		fork string
		want []string
	}{
		{"false", alphaBoth},
		{"", alphaBoth}, // a merge group has no pull_request.head
		{"true", []string{"alpha glibc ubuntu-latest"}},
	} {
		m := newMachine(t, root)
		out, combined, err := m.run(t, s, map[string]string{"BASE": "main", "FORK": tc.fork})
		if err != nil {
			t.Fatalf("fork %q: %v\n%s", tc.fork, err, combined)
		}
		if got := matrixEntries(t, out["matrix"]); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("fork %q: matrix %v, want %v", tc.fork, got, tc.want)
		}
	}
}

// ci-ok fails when any job it needs failed or was cancelled; a build
// skipped for an empty matrix is fine (review 27).
func TestCIOK(t *testing.T) {
	s := loadStep(t, "pull_request.yaml", "ci-ok", "every job succeeded or was skipped")
	m := newMachine(t, t.TempDir())
	for results, ok := range map[string]bool{
		"success success success success":   true,
		"success success success skipped":   true,
		"success failure success skipped":   false,
		"failure success success skipped":   false,
		"success success cancelled skipped": false,
	} {
		_, combined, err := m.run(t, s, map[string]string{"RESULTS": results})
		if (err == nil) != ok {
			t.Errorf("%s: %v, want success %v\n%s", results, err, ok, combined)
		}
	}
}

// bazelStandIn logs every call and answers cquery --output=files with a
// file it writes under the machine's temp directory, two for an archive or
// deb filegroup (one per platform).
func bazelStandIn(t *testing.T, m *machine) string {
	t.Helper()
	log := m.logger(t, "bazel")
	out := filepath.Join(m.temp, "bazel-out")
	m.standIn(t, "bazel", fmt.Sprintf(`printf '%%s\n' "$*" >> %[1]q
case "$1" in
cquery)
  for last; do :; done
  mkdir -p %[2]q
  name=${last##*:}
  case "$name" in
  *.digest) echo sha256:0123 > %[2]q/"$name"; echo %[2]q/"$name" ;;
  archive*|deb*) for p in linux_amd64 linux_arm64; do echo "$name" > %[2]q/"${name}_$p"; echo %[2]q/"${name}_$p"; done ;;
  *) echo "$name" > %[2]q/"$name"; echo %[2]q/"$name" ;;
  esac ;;
esac
`, log, out))
	return log
}

// main.yaml's staging steps: one bazel invocation builds the image, the
// archive, the package and the digest; the primary entry pushes and hands
// digest, archive, package and commit on. Every bazel command takes the
// same flags, so the analysis cache survives (review 11, 22).
func TestStagingSteps(t *testing.T) {
	build := loadStep(t, "main.yaml", "staging", "build")
	push := loadStep(t, "main.yaml", "staging", "push to staging and hand on what was built")
	m := newMachine(t, t.TempDir())
	log := bazelStandIn(t, m)
	targets := "//protocols/beta:image_static //protocols/beta:archive_static //protocols/beta:deb_static"
	if _, combined, err := m.run(t, build, map[string]string{"REGISTRY": "reg.example/staging", "TARGETS": targets}); err != nil {
		t.Fatalf("%v\n%s", err, combined)
	}
	if _, combined, err := m.run(t, push, map[string]string{"REGISTRY": "reg.example/staging", "PUSH": "//protocols/beta:push_static", "TARGETS": targets}); err != nil {
		t.Fatalf("%v\n%s", err, combined)
	}
	calls, _ := os.ReadFile(log)
	want := []string{
		"build --config=ci --//rules:registry=reg.example/staging //protocols/beta:image_static //protocols/beta:archive_static //protocols/beta:deb_static //protocols/beta:image_static.digest",
		"run --config=ci --//rules:registry=reg.example/staging //protocols/beta:push_static",
		"cquery --config=ci --//rules:registry=reg.example/staging --output=files //protocols/beta:image_static.digest",
		"cquery --config=ci --//rules:registry=reg.example/staging --output=files //protocols/beta:archive_static",
		"cquery --config=ci --//rules:registry=reg.example/staging --output=files //protocols/beta:deb_static",
	}
	if got := strings.Split(strings.TrimSpace(string(calls)), "\n"); !reflect.DeepEqual(got, want) {
		t.Errorf("bazel calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	dist := readDir(t, filepath.Join(m.temp, "dist"))
	if want := map[string]string{"digest": "sha256:0123\n", "archive_static_linux_amd64": "archive_static\n", "archive_static_linux_arm64": "archive_static\n",
		"deb_static_linux_amd64": "deb_static\n", "deb_static_linux_arm64": "deb_static\n", "commit": strings.Repeat("c", 40) + "\n"}; !reflect.DeepEqual(dist, want) {
		t.Errorf("handed on %v, want %v", dist, want)
	}
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

// main.yaml's promotion: crane logs in to both registries with the tokens
// on stdin, copies the staged digest to the production tag, and leaves the
// marker release.yaml waits for.
func TestPromotionStep(t *testing.T) {
	s := loadStep(t, "main.yaml", "production", "promote")
	m := newMachine(t, t.TempDir())
	log := m.logger(t, "crane")
	m.standIn(t, "crane", fmt.Sprintf(`printf '%%s' "$*" >> %[1]q
case "$*" in *--password-stdin*) printf ' <%%s>' "$(cat)" >> %[1]q ;; esac
echo >> %[1]q
`, log))
	writeFile(t, filepath.Join(m.temp, "dist/digest"), "sha256:0123\n")
	_, combined, err := m.run(t, s, map[string]string{
		"PROTOCOL": "beta", "TAG": "static-v2.0.0",
		"STAGING": "stage.example/nodes", "STAGING_HOST": "stage.example", "STAGING_USER": "su", "STAGING_TOKEN": "st",
		"PRODUCTION": "prod.example/nodes", "PRODUCTION_HOST": "prod.example", "PRODUCTION_USER": "pu", "PRODUCTION_TOKEN": "pt",
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, combined)
	}
	calls, _ := os.ReadFile(log)
	want := "auth login stage.example -u su --password-stdin <st>\n" +
		"auth login prod.example -u pu --password-stdin <pt>\n" +
		"copy stage.example/nodes/beta@sha256:0123 prod.example/nodes/beta:static-v2.0.0\n"
	if string(calls) != want {
		t.Errorf("crane calls:\n%s\nwant:\n%s", calls, want)
	}
	if got := readDir(t, filepath.Join(m.temp, "promoted")); got["digest"] != "sha256:0123\n" {
		t.Errorf("promoted marker %v", got)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// release.yaml: a release that exists is left alone (immutable releases,
// review 3); otherwise the staged archive's files go to object storage and
// the release is created in one call at the commit built, not "Latest".
func TestReleaseStep(t *testing.T) {
	s := loadStep(t, "release.yaml", "release", "publish and release")
	env := map[string]string{
		"GH_TOKEN": "token", "NAME": "beta-static-v2.0.0", "PROTOCOL": "beta", "TARGET": "static",
		"PLATFORMS": "linux/amd64 linux/arm64",
		"ARCHIVES":  "beta-static-v2.0.0.tar.gz beta-static-v2.0.0-linux-arm64.tar.gz",
		"DEBS":      "beta_2.0.0+static_amd64.deb beta_2.0.0+static_arm64.deb", "COMMIT": strings.Repeat("d", 40),
		"FORGE_S3_BUCKET": "bucket", "FORGE_S3_ENDPOINT": "", "AWS_REGION": "eu", "AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
	}
	for _, exists := range []bool{true, false} {
		t.Run(fmt.Sprintf("released already %v", exists), func(t *testing.T) {
			m := newMachine(t, t.TempDir())
			dist := filepath.Join(m.temp, "dist")
			bin := t.TempDir()
			writeFile(t, filepath.Join(bin, "beta"), "#!/bin/sh\n")
			if err := os.MkdirAll(dist, 0o755); err != nil {
				t.Fatal(err)
			}
			archives, debs := strings.Fields(env["ARCHIVES"]), strings.Fields(env["DEBS"])
			for i := range archives {
				if out, err := exec.Command("tar", "-czf", filepath.Join(dist, archives[i]), "-C", bin, "beta").CombinedOutput(); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				writeFile(t, filepath.Join(dist, debs[i]), "deb")
			}
			ghLog, forgeLog := m.logger(t, "gh"), m.logger(t, "forge")
			view := "exit 1"
			if exists {
				view = "exit 0"
			}
			m.standIn(t, "gh", fmt.Sprintf("printf '%%s\\n' \"$*\" >> %q\ncase \"$1 $2\" in \"release view\") %s ;; esac\n", ghLog, view))
			m.standIn(t, "forge", fmt.Sprintf("printf '%%s bucket=%%s\\n' \"$*\" \"$FORGE_S3_BUCKET\" >> %q\n", forgeLog))
			_, combined, err := m.run(t, s, env)
			if err != nil {
				t.Fatalf("%v\n%s", err, combined)
			}
			gh, _ := os.ReadFile(ghLog)
			forge, _ := os.ReadFile(forgeLog)
			view = "release view beta-static-v2.0.0 --repo owner/repo --json tagName\n"
			if exists {
				if string(gh) != view || len(forge) != 0 || !strings.Contains(combined, "::notice::beta-static-v2.0.0 is released already") {
					t.Errorf("an existing release was touched: gh %q, forge %q\n%s", gh, forge, combined)
				}
				return
			}
			wantForge := "publish -protocol beta -target static -platform linux/amd64 -archive " + filepath.Join(dist, archives[0]) + " bucket=bucket\n" +
				"publish -protocol beta -target static -platform linux/arm64 -archive " + filepath.Join(dist, archives[1]) + " bucket=bucket\n"
			if string(forge) != wantForge {
				t.Errorf("forge %q, want %q", forge, wantForge)
			}
			wantGH := view + "release create beta-static-v2.0.0 --repo owner/repo --target " + env["COMMIT"] + " --latest=false --title beta-static-v2.0.0 --notes Built from " + env["COMMIT"] + ". " +
				filepath.Join(dist, archives[0]) + " " + filepath.Join(dist, debs[0]) + " " + filepath.Join(dist, "assets/beta") + " " +
				filepath.Join(dist, archives[1]) + " " + filepath.Join(dist, debs[1]) + " " + filepath.Join(dist, "assets/beta-linux-arm64") + "\n"
			if string(gh) != wantGH {
				t.Errorf("gh:\n%s\nwant:\n%s", gh, wantGH)
			}
		})
	}
}

// scan.yaml's scan step against a real forge and a GitHub API where one
// upstream fails: the job fails and says so, and the other protocol's bump
// is still handed to propose (review 9). Without pipefail, or with a forge
// that printed nothing, the job used to pass with no bumps.
func TestScanStep(t *testing.T) {
	s := loadStep(t, "scan.yaml", "scan", "scan")
	root := gitRepo(t, map[string]string{
		"MODULE.bazel":                 "module(name = \"x\")\n",
		"protocols/broken/VERSION":     "v1.0.0\n",
		"protocols/broken/MANIFEST":    "/usr/local/bin/broken\n",
		"protocols/broken/BUILD.bazel": "# gazelle:forge_upstream https://github.com/o/broken\n",
		"protocols/old/VERSION":        "v3.0.0\n",
		"protocols/old/MANIFEST":       "/usr/local/bin/old\n",
		"protocols/old/BUILD.bazel":    "# gazelle:forge_upstream https://github.com/o/old\n",
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/repos/o/old/releases" {
			fmt.Fprint(w, `[{"tag_name":"v3.1.0"}]`)
			return
		}
		http.Error(w, "upstream is down", http.StatusBadGateway)
	}))
	defer srv.Close()

	m := newMachine(t, root)
	m.machine["FORGE_GITHUB_API"] = srv.URL
	m.machine["GOENV"] = "off"
	out, combined, err := m.run(t, s, map[string]string{"GITHUB_TOKEN": "token"})
	if err == nil {
		t.Errorf("the scan step passed although an upstream failed\n%s", combined)
	}
	if want := `[{"name":"old","existing_release":"v3.0.0","current_release":"v3.1.0","source":"https://github.com/o/old"}]`; out["bumps"] != want {
		t.Errorf("bumps %q, want %q\n%s", out["bumps"], want, combined)
	}
	if !strings.Contains(combined, "broken: ") || !strings.Contains(combined, "::error::forge scan could not ask every upstream") {
		t.Errorf("the log does not name the failing upstream:\n%s", combined)
	}

	// A forge that fails before printing anything leaves no bumps.
	m = newMachine(t, root)
	m.standIn(t, "forge", "echo 'forge scan: no MODULE.bazel' >&2; exit 1\n")
	out, combined, err = m.run(t, s, map[string]string{"GITHUB_TOKEN": "token"})
	if err == nil || out["bumps"] != "" || !strings.Contains(combined, "printed no list of bumps") {
		t.Errorf("forge printed nothing: outputs %v, %v\n%s", out, err, combined)
	}
}

// scan.yaml's propose: a bump closed without merging is not proposed again
// under the same title; a merged one, or a newer release, is (review 10).
func TestProposeSkipsARejectedBump(t *testing.T) {
	s := loadStep(t, "scan.yaml", "propose", "rejected")
	title := "old: v3.0.0 -> v3.1.0"
	for _, tc := range []struct {
		closed string
		skip   bool
	}{
		{`[]`, false},
		{`[{"title":"old: v3.0.0 -> v3.1.0","mergedAt":null}]`, true},
		{`[{"title":"old: v3.0.0 -> v3.1.0","mergedAt":"2026-11-01T00:00:00Z"}]`, false},
		{`[{"title":"old: v3.0.0 -> v3.0.9","mergedAt":null}]`, false},
	} {
		m := newMachine(t, t.TempDir())
		log := m.logger(t, "gh")
		m.standIn(t, "gh", fmt.Sprintf("printf '%%s\\n' \"$*\" >> %q\nprintf '%%s' %q\n", log, tc.closed))
		out, combined, err := m.run(t, s, map[string]string{"GH_TOKEN": "token", "BRANCH": "bump/old", "TITLE": title})
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.closed, err, combined)
		}
		if (out["skip"] == "true") != tc.skip {
			t.Errorf("closed %s: outputs %v, want skip %v", tc.closed, out, tc.skip)
		}
		if calls, _ := os.ReadFile(log); string(calls) != "pr list --repo owner/repo --head bump/old --state closed --json title,mergedAt\n" {
			t.Errorf("gh calls %q", calls)
		}
	}
}

// Every run: step of every workflow that these tests do not run is listed
// here with the reason, so that a new script is either tested or
// deliberately not.
func TestEveryRunStepIsAccountedFor(t *testing.T) {
	tested := map[string]string{
		"main.yaml matrix.matrix":                                      "TestMainMatrixBase",
		"main.yaml staging.build":                                      "TestStagingSteps",
		"main.yaml staging.push to staging and hand on what was built": "TestStagingSteps",
		"main.yaml production.promote":                                 "TestPromotionStep",
		"pull_request.yaml matrix.matrix":                              "TestPullRequestMatrix",
		"pull_request.yaml ci-ok.every job succeeded or was skipped":   "TestCIOK",
		"release.yaml release.publish and release":                     "TestReleaseStep",
		"scan.yaml scan.scan":                                          "TestScanStep",
		"scan.yaml propose.rejected":                                   "TestProposeSkipsARejectedBump",
	}
	untested := map[string]string{
		"main.yaml staging.use the remote cache":                            "appends two lines to user.bazelrc",
		"main.yaml staging.allow user namespaces for Bazel's sandbox":       "sysctl, as root on GitHub's runners",
		"main.yaml staging.log in to the staging registry":                  "one crane call, as in TestPromotionStep",
		"main.yaml staging.bound the disk cache":                            "du and rm of the cache directory",
		"pull_request.yaml tests.tools/test.sh":                             "is the whole test run",
		"pull_request.yaml analysis.bazel build --nobuild":                  "one bazel command",
		"pull_request.yaml build.read the remote cache":                     "appends two lines to user.bazelrc",
		"pull_request.yaml build.allow user namespaces for Bazel's sandbox": "sysctl, as root on GitHub's runners",
		"pull_request.yaml build.bazel build":                               "one bazel command",
		"pull_request.yaml build.bazel test":                                "one bazel command; exit 4 is no tests",
		"release.yaml matrix.matrix":                                        "passes its input on, or reads one file",
		"release.yaml release.commit":                                       "reads one file",
		"scan.yaml propose.token":                                           "a warning when no token is set",
		"scan.yaml propose.apply":                                           "one forge command (forge scan -apply is tested in tools/forge)",
		"main.yaml matrix.zig-cache":                                        "one mkdir",
		"main.yaml staging.zig-cache":                                       "one mkdir",
		"pull_request.yaml analysis.zig-cache":                              "one mkdir",
		"pull_request.yaml build.zig-cache":                                 "one mkdir",
		"pull_request.yaml matrix.zig-cache":                                "one mkdir",
	}
	var found []string
	files, err := filepath.Glob(filepath.Join(corpus.RepoRoot(t), ".github/workflows/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		w, errs := actionlint.Parse(data)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", file, errs[0])
		}
		for id, j := range w.Jobs {
			for i, s := range j.Steps {
				if _, ok := s.Exec.(*actionlint.ExecRun); !ok {
					continue
				}
				name := ""
				switch {
				case s.ID != nil:
					name = s.ID.Value
				case s.Name != nil:
					name = s.Name.Value
				default:
					t.Errorf("%s: step %d of job %s has neither id nor name", filepath.Base(file), i+1, id)
					continue
				}
				found = append(found, filepath.Base(file)+" "+id+"."+name)
			}
		}
	}
	sort.Strings(found)
	for _, f := range found {
		if tested[f] == "" && untested[f] == "" {
			t.Errorf("run step %q is neither tested nor listed as untested", f)
		}
	}
	for _, list := range []map[string]string{tested, untested} {
		for k := range list {
			if !slices.Contains(found, k) {
				t.Errorf("%q is listed but no workflow has that step", k)
			}
		}
	}
}
