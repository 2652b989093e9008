package artifacttest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/artifacttest"
	"github.com/protocol-forge/protocol-forge/tools/assemble"
	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// shipped is one assembled variant with the directory forge render wrote
// for it, as the generated tests see them in their runfiles.
type shipped struct {
	p        *spec.Protocol
	v        assemble.Variant
	rendered string
}

// assembleStubbed assembles every committed protocol's variants from
// tools/packaging's model of its BUILD file (changed by mutate, if set),
// with a shell script in place of each MANIFEST executable that prints
// the protocol's version as the real one would, or fails as a known
// failure does.
func assembleStubbed(t *testing.T, mutate func(*packaging.Package)) []shipped {
	t.Helper()
	repo, err := spec.Load(corpus.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	assemble.XZPreset = 0
	stubs, out := t.TempDir(), t.TempDir()
	files := map[string]string{}
	for _, p := range repo.Protocols {
		for _, e := range p.Manifest {
			file := filepath.Join(stubs, p.Name, e.Base())
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			script := "#!/bin/sh\n" + needsLibraries(p) + fmt.Sprintf("echo '%s version %s'\n", e.Base(), p.PrintedVersion())
			if p.KnownFailure != "" {
				script = fmt.Sprintf("#!/bin/sh\necho '%s' >&2\nexit 1\n", p.KnownFailure)
			}
			if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
				t.Fatal(err)
			}
			// A script runs on any host, so every platform's
			// artifacts are checked with it.
			for _, pl := range p.Platforms {
				files[assemble.SourceKey(pl, assemble.SourceLabel(p, e))] = file
			}
		}
	}
	var all []shipped
	for _, p := range repo.Protocols {
		pkg, err := packaging.LoadPackage(filepath.Join(repo.Root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(pkg)
		}
		variants, err := assemble.Protocol(repo, p, pkg, files, filepath.Join(out, p.Name))
		if err != nil {
			t.Fatal(err)
		}
		opts, err := debian.LoadOptions(repo, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			rendered := filepath.Join(out, "rendered", p.Name, v.Target.Variant.Name, v.Platform.Name)
			if err := debian.Render(repo, p, v.Target, v.Platform, opts).Write(rendered); err != nil {
				t.Fatal(err)
			}
			all = append(all, shipped{p, v, rendered})
		}
	}
	if len(all) == 0 {
		t.Fatal("no protocol variants assembled")
	}
	return all
}

// needsLibraries is shell that fails as the dynamic loader does unless
// every shared library p ships is in a directory of LD_LIBRARY_PATH: the
// stand-in asks what p's cgo binaries ask of the run test.
func needsLibraries(p *spec.Protocol) string {
	var b strings.Builder
	for _, e := range p.Manifest {
		if !e.IsSharedLibrary() {
			continue
		}
		fmt.Fprintf(&b, "found=\nIFS=:\nfor d in $LD_LIBRARY_PATH; do [ -f \"$d/%[1]s\" ] && found=1; done\n", e.Base())
		fmt.Fprintf(&b, "[ -n \"$found\" ] || { echo 'error while loading shared libraries: %[1]s: cannot open shared object file' >&2; exit 127; }\n", e.Base())
	}
	return b.String()
}

func layerRun(t *testing.T, s shipped) artifacttest.LayerRun {
	return artifacttest.LayerRun{
		Layer:        s.v.Image.Layers[0].Path,
		Entrypoint:   s.v.Image.Entrypoint,
		VersionArgs:  s.p.VersionArgs,
		Version:      s.p.PrintedVersion(),
		KnownFailure: s.p.KnownFailure,
		Dir:          t.TempDir(),
	}
}

func TestCommittedArtifactsPass(t *testing.T) {
	for _, s := range assembleStubbed(t, nil) {
		name := s.p.Name + "/" + s.v.Target.Variant.Name + "/" + s.v.Platform.Name
		if _, err := artifacttest.RunLayer(layerRun(t, s)); err != nil {
			t.Errorf("%s: layer run: %v", name, err)
		}
		for _, err := range artifacttest.CheckDeb(s.v.Deb.Path, s.rendered) {
			t.Errorf("%s: deb: %v", name, err)
		}
	}
}

// Without pkg_files' attributes every executable ships 0644: both checks
// must fail, naming the mode.
func TestExecutablesShipped0644Fail(t *testing.T) {
	for _, s := range assembleStubbed(t, dropAttributes) {
		name := s.p.Name + "/" + s.v.Target.Variant.Name + "/" + s.v.Platform.Name
		_, err := artifacttest.RunLayer(layerRun(t, s))
		if err == nil || !strings.Contains(err.Error(), "cannot execute") {
			t.Errorf("%s: layer run of a 0644 entrypoint: %v, want \"cannot execute\"", name, err)
		}
		errs := artifacttest.CheckDeb(s.v.Deb.Path, s.rendered)
		if !mentions(errs, s.p.Service.Path+" is mode 0644, not 0755") {
			t.Errorf("%s: deb check of 0644 executables: %v", name, errs)
		}
	}
}

func TestKnownFailureMustFailAsRecorded(t *testing.T) {
	var r artifacttest.LayerRun
	for _, s := range assembleStubbed(t, nil) {
		if s.p.KnownFailure == "" {
			r = layerRun(t, s)
			break
		}
	}
	r.KnownFailure = "unable to determine GNOROOT"
	_, err := artifacttest.RunLayer(r)
	if err == nil || !strings.Contains(err.Error(), "if it is fixed") {
		t.Errorf("a known failure that does not happen: %v, want an error saying it may be fixed", err)
	}
}

func TestDebWithAnotherControlFails(t *testing.T) {
	s := assembleStubbed(t, nil)[0]
	control := filepath.Join(s.rendered, debian.ControlName)
	b, err := os.ReadFile(control)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(control, []byte(strings.Replace(string(b), "Section: net", "Section: misc", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	errs := artifacttest.CheckDeb(s.v.Deb.Path, s.rendered)
	if !mentions(errs, "- Section: misc") || !mentions(errs, "+ Section: net") {
		t.Errorf("a control file that differs from the rendered one: %v", errs)
	}
}

func TestMainReadsTheRulesEnvironment(t *testing.T) {
	s := assembleStubbed(t, nil)[0]
	runfiles := t.TempDir()
	link := func(rel, target string) string {
		p := filepath.Join(runfiles, "_main", rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return "_main/" + rel
	}
	env := map[string]string{
		"TEST_SRCDIR":                runfiles,
		artifacttest.ModeEnv:         artifacttest.LayerRunMode,
		artifacttest.LayerEnv:        link("protocols/x/layer.tar.gz", s.v.Image.Layers[0].Path),
		artifacttest.EntrypointEnv:   `["` + s.v.Image.Entrypoint[0] + `"]`,
		artifacttest.VersionArgsEnv:  `["version"]`,
		artifacttest.VersionEnv:      s.p.PrintedVersion(),
		artifacttest.KnownFailureEnv: s.p.KnownFailure,
	}
	if report, ok := artifacttest.Main(func(k string) string { return env[k] }, t.TempDir()); !ok {
		t.Errorf("layer_run: %s", report)
	}
	env[artifacttest.ModeEnv] = artifacttest.DebMode
	env[artifacttest.DebEnv] = link("protocols/x/x.deb", s.v.Deb.Path)
	for _, f := range []string{debian.ControlName, debian.ConffilesName, debian.LayoutName, debian.PostinstName, debian.PrermName, debian.PostrmName} {
		env[artifacttest.LayoutEnv] = link("protocols/x/deb_files/"+f, filepath.Join(s.rendered, f))
	}
	env[artifacttest.LayoutEnv] = "_main/protocols/x/deb_files/" + debian.LayoutName
	link("protocols/x/deb_files/root", filepath.Join(s.rendered, debian.RootDir))
	if report, ok := artifacttest.Main(func(k string) string { return env[k] }, t.TempDir()); !ok {
		t.Errorf("deb: %s", report)
	}
	env[artifacttest.ModeEnv] = "image"
	if report, ok := artifacttest.Main(func(k string) string { return env[k] }, t.TempDir()); ok || !strings.Contains(report, artifacttest.ModeEnv) {
		t.Errorf("an unknown mode: %q, %v", report, ok)
	}
}

// dropAttributes deletes the attributes of every pkg_files: the BUILD
// file as it was before the generator set pkg_attributes(mode), which
// ships every executable 0644.
func dropAttributes(pkg *packaging.Package) {
	for _, r := range pkg.RulesOfKind("pkg_files") {
		r.DelAttr("attributes")
	}
}

func mentions(errs []error, s string) bool {
	for _, err := range errs {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}
