//go:build realtools

package assemble_test

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/artifacttest"
	"github.com/protocol-forge/protocol-forge/tools/assemble"
	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/debversion"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	forgechroot "github.com/protocol-forge/protocol-forge/tools/internal/chroot"
	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/internal/lintian"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// shipped is one variant of one protocol, assembled.
type shipped struct {
	p *spec.Protocol
	v assemble.Variant
}

func (s shipped) String() string {
	return s.p.Name + "/" + s.v.Target.Variant.Name + "/" + s.v.Platform.Name
}

// native keeps what this host runs itself: the .debs installed into the
// chroot. The others' layers and archives run under qemu-user-static.
func native(all []shipped) []shipped {
	var out []shipped
	for _, s := range all {
		if s.v.Platform.Native() {
			out = append(out, s)
		}
	}
	return out
}

// binaries are built once per test binary: the protocol build test's go
// build of every Go-built MANIFEST entry (gosource.Binary.Build). When
// FORGE_TEST_BINARIES names the directory that test built them into (as
// tools/test.sh does), they are taken from there; without it they are
// built again, which the Go build cache makes cheap but for the links.
var binaries struct {
	once  sync.Once
	dir   string
	files map[string]string
	err   error
}

func buildBinaries(t *testing.T, repo *spec.Repo) map[string]string {
	t.Helper()
	binaries.once.Do(func() {
		if dir := os.Getenv("FORGE_TEST_BINARIES"); dir != "" {
			// Not binaries.dir, which TestMain removes: the directory is
			// its maker's.
			binaries.files, _, binaries.err = assemble.BuiltBinaries(repo, dir)
			t.Logf("%d binaries the protocol build test built, from %s", len(binaries.files), dir)
			return
		}
		binaries.dir, binaries.err = os.MkdirTemp("", "forge-binaries-")
		if binaries.err != nil {
			return
		}
		start := time.Now()
		binaries.files, _, binaries.err = assemble.BuildBinaries(repo, binaries.dir)
		t.Logf("go build of %d binaries: %s", len(binaries.files), time.Since(start).Round(time.Millisecond))
	})
	if binaries.err != nil {
		t.Fatal(binaries.err)
	}
	return binaries.files
}

// assembleAll writes every protocol's artifacts under out, from the
// model of its committed BUILD file, mutated by mutate when not nil.
func assembleAll(t *testing.T, repo *spec.Repo, files map[string]string, out string, only func(*spec.Protocol) bool, mutate func(*packaging.Package)) []shipped {
	t.Helper()
	var protocols []*spec.Protocol
	var pkgs []*packaging.Package
	for _, p := range repo.Protocols {
		if only != nil && !only(p) {
			continue
		}
		pkg, err := packaging.LoadPackage(filepath.Join(repo.Root, p.Dir, "BUILD.bazel"), p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if mutate != nil {
			mutate(pkg)
		}
		protocols, pkgs = append(protocols, p), append(pkgs, pkg)
	}
	return assembleParallel(t, repo, protocols, pkgs, files, out)
}

// assembleParallel assembles the protocols with as many at a time as there
// are CPUs: compressing the data tars (xz -6 in one thread, as pkg_tar
// does) is most of the time it takes.
func assembleParallel(t *testing.T, repo *spec.Repo, protocols []*spec.Protocol, pkgs []*packaging.Package, files map[string]string, out string) []shipped {
	t.Helper()
	results := make([][]assemble.Variant, len(protocols))
	errs := make([]error, len(protocols))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, p := range protocols {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = assemble.Protocol(repo, p, pkgs[i], files, filepath.Join(out, p.Name))
		}()
	}
	wg.Wait()
	var all []shipped
	for i, p := range protocols {
		if errs[i] != nil {
			t.Fatalf("%s: %v", p.Name, errs[i])
		}
		for _, v := range results[i] {
			all = append(all, shipped{p, v})
		}
	}
	return all
}

// Every image, archive and .deb of every protocol variant, assembled as
// tools/packaging says rules_pkg builds them from the committed BUILD files
// with the real binaries inside, runs the way its users run it.
func TestArtifactsRunAsShipped(t *testing.T) {
	root := corpus.RepoRoot(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	files := buildBinaries(t, repo)
	out := t.TempDir()
	// What the packages hold is what this test checks; at pkg_tar's
	// preset 6, xz would take two minutes of it (bench/protocols.sh
	// measures the sizes at 6).
	assemble.XZPreset = 0
	start := time.Now()
	all := assembleAll(t, repo, files, filepath.Join(out, "current"), nil, nil)
	t.Logf("assembled %d variants: %s", len(all), time.Since(start).Round(time.Millisecond))

	system := forgechroot.Bookworm(t)
	libcs := libcRootsFor(t, system, all)

	for _, s := range all {
		t.Run(s.String()+"/image", func(t *testing.T) {
			libc := libcs[s.v.Platform.Name]
			if err := runImage(t, s, libc); err != nil {
				t.Error(err)
			}
			for _, err := range libraryFromManifestPath(t, s, libc) {
				t.Error(err)
			}
		})
		t.Run(s.String()+"/archive", func(t *testing.T) {
			for _, err := range runArchive(t, s) {
				t.Error(err)
			}
		})
		t.Run(s.String()+"/generated_tests", func(t *testing.T) {
			for _, err := range runGeneratedTests(t, repo, s) {
				t.Error(err)
			}
		})
	}

	t.Run("deb", func(t *testing.T) {
		start := time.Now()
		debLifecycle(t, system, native(all), previousReleases(t, repo, filepath.Join(out, "previous")))
		t.Logf("deb lifecycle: %s", time.Since(start).Round(time.Millisecond))
	})

	// A .deb of another architecture cannot go into this host's chroot:
	// its control file must name its architecture, and the service it
	// installs must run (under qemu) as the service user would run it.
	for _, s := range all {
		if s.v.Platform.Native() {
			continue
		}
		t.Run(s.String()+"/deb", func(t *testing.T) {
			for _, err := range runForeignDeb(t, s) {
				t.Error(err)
			}
		})
	}

	t.Run("lintian", func(t *testing.T) {
		start := time.Now()
		var debs []string
		for _, s := range all {
			debs = append(debs, s.v.Deb.Path)
		}
		lintian.NoErrors(t, debs...)
		t.Logf("lintian over %d packages: %s", len(debs), time.Since(start).Round(time.Millisecond))
	})

	// The mutation: pkg_files without their attributes ship every
	// executable 0644, and the same checks must say so.
	t.Run("mutation_0644", func(t *testing.T) {
		// The first protocol whose service prints its version.
		target := ""
		for _, p := range repo.Protocols {
			if p.KnownFailure == "" && target == "" {
				target = p.Name
			}
		}
		only := func(p *spec.Protocol) bool { return p.Name == target }
		// The host's platform: the kernel's own permission check, which
		// qemu-user need not repeat.
		mutated := native(assembleAll(t, repo, files, filepath.Join(out, "mutated"), only, dropPkgFilesAttributes))
		for _, s := range mutated {
			m, _ := s.v.Image.Layers[0].Tar.Member(strings.TrimPrefix(s.p.Service.Path, "/"))
			if m.Mode != 0o644 {
				t.Fatalf("%s: the mutated layer ships %s with mode %04o, want 0644", s, s.p.Service.Path, m.Mode)
			}
			wantFailure(t, s.String()+" image", "permission denied", []error{runImage(t, s, libcs[s.v.Platform.Name])})
			wantFailure(t, s.String()+" archive", "permission denied", runArchive(t, s))
			wantFailure(t, s.String()+" generated tests", "cannot execute", runGeneratedTests(t, repo, s))
			if _, err := aptInstall(system, []shipped{s}); err != nil {
				t.Fatal(err)
			}
			wantFailure(t, s.String()+" deb", "Permission denied", debInstalledChecks(t, system, []shipped{s}))
			forgechroot.Run(t, system, "dpkg --purge "+s.p.Name)
		}
	})
}

// dropPkgFilesAttributes deletes the attributes of every pkg_files: the
// BUILD file as it was before the generator set pkg_attributes(mode).
func dropPkgFilesAttributes(pkg *packaging.Package) {
	for _, r := range pkg.RulesOfKind("pkg_files") {
		r.DelAttr("attributes")
	}
}

func wantFailure(t *testing.T, what, reason string, errs []error) {
	t.Helper()
	var text []string
	for _, err := range errs {
		if err != nil {
			text = append(text, err.Error())
		}
	}
	if len(text) == 0 {
		t.Errorf("%s with 0644 executables passes the acceptance checks", what)
		return
	}
	if all := strings.Join(text, "\n"); !strings.Contains(all, reason) {
		t.Errorf("%s with 0644 executables fails, but not with %q:\n%s", what, reason, all)
	} else {
		t.Logf("%s with 0644 executables fails as it must:\n%s", what, all)
	}
}

// emulatedLibc is the environment under which qemu runs a cgo protocol's
// binaries of another architecture than the host's: the platform's C
// library from Debian's cross toolchain (QEMU_LD_PREFIX), where a system
// of that architecture has its own.
func emulatedLibc(s shipped) []string {
	if !s.p.Cgo || s.v.Platform.Native() {
		return nil
	}
	return []string{"QEMU_LD_PREFIX=" + s.v.Platform.CrossRoot}
}

// libcRootsFor makes the C library a glibc image's base provides on each
// platform a glibc image of all is for: the chroot's for the host's
// platform (always), Debian's cross toolchain's (libc6-arm64-cross, the
// same glibc 2.36) for another.
func libcRootsFor(t *testing.T, system string, all []shipped) map[string]string {
	t.Helper()
	roots := map[string]string{}
	for _, pl := range platform.All() {
		if pl.Native() {
			roots[pl.Name] = libcRoot(t, system)
		}
	}
	for _, s := range all {
		pl := s.v.Platform
		if _, ok := roots[pl.Name]; !ok && s.v.Image.Libc {
			roots[pl.Name] = crossLibcRoot(t, pl)
		}
	}
	return roots
}

// crossLibcRoot lays the cross toolchain's C library and libgcc_s out as a
// Debian system of the platform has them: the dynamic loader in /lib, the
// libraries in /lib/<triplet>, where that loader looks.
func crossLibcRoot(t *testing.T, pl platform.Platform) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "libc-"+pl.Name)
	triplet := filepath.Base(pl.CrossRoot)
	libs := filepath.Join(dir, "lib", triplet)
	if err := os.MkdirAll(libs, 0o755); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(filepath.Join(pl.CrossRoot, "lib", "*.so*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no C library of %s in %s (Debian's cross toolchain, tools/gosource/testdeps.txt): %v", pl.OCI, pl.CrossRoot, err)
	}
	for _, m := range matches {
		base := filepath.Base(m)
		to := filepath.Join(libs, base)
		if strings.HasPrefix(base, "ld-linux") {
			to = filepath.Join(dir, "lib", base)
		}
		if out, err := exec.Command("cp", "-L", m, to).CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	return dir
}

// libcRoot is the runtime a glibc variant's base provides: the chroot's
// libc6 and libgcc-s1 packages, files and symlinks, copied into an empty
// tree. distroless cc-debian12 is its base image with libgcc's runtime
// added (libgcc_s.so.1, which CosmWasm's libwasmvm needs).
func libcRoot(t *testing.T, system string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "libc")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Every file and symlink of the package, copied with what the
	// symlinks point to (the merged /usr's /lib and /lib64 links would
	// otherwise dangle in a root without /usr/lib).
	var paths []string
	for _, p := range strings.Split(forgechroot.Run(t, system, "dpkg -L libc6 libgcc-s1"), "\n") {
		fi, err := os.Lstat(filepath.Join(system, p))
		if err == nil && !fi.IsDir() {
			paths = append(paths, strings.TrimPrefix(p, "/"))
		}
	}
	list := filepath.Join(t.TempDir(), "libc6.list")
	if err := os.WriteFile(list, []byte(strings.Join(paths, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pipe := fmt.Sprintf("tar -C %s --no-recursion --dereference -cf - -T %s | tar -C %s -xpf -", system, list, dir)
	if out, err := exec.Command("sh", "-ec", pipe).CombinedOutput(); err != nil {
		t.Fatalf("copy libc6 and libgcc-s1: %v\n%s", err, out)
	}
	// The copy runs a program linked against it, as uid 65532, or a glibc
	// variant's test could not tell a missing library from a bad layer.
	probe := filepath.Join(t.TempDir(), "probe")
	if out, err := exec.Command("cp", "-a", dir, probe).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := exec.Command("cp", filepath.Join(system, "usr/bin/true"), filepath.Join(probe, "true")).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := runContainer(probe, "65532:65532", []string{"/true"}); err != nil {
		t.Fatalf("the chroot's libc6 does not run its own /usr/bin/true: %v\n%s", err, out)
	}
	return dir
}

// runImage unpacks the image's layers over the variant's minimal root
// (the users and homes every distroless base has, and libc for a glibc
// one) and runs the entrypoint as the image's user with the version
// arguments.
func runImage(t *testing.T, s shipped, libc string) error {
	t.Helper()
	out, argv, err := runImageWithout(t, s, libc, nil)
	return printsVersion(t, s.p, fmt.Sprintf("image %s: %s as %s", s.v.Image.Rule, strings.Join(argv, " "), s.v.Image.User), out, err)
}

// runImageWithout is runImage with the files drop (absolute paths)
// deleted from the root before the entrypoint runs; it returns what the
// entrypoint printed, its argv and how it exited.
func runImageWithout(t *testing.T, s shipped, libc string, drop []string) (string, []string, error) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", nil, err
	}
	if s.v.Image.Libc {
		if out, err := exec.Command("cp", "-a", libc+"/.", root).CombinedOutput(); err != nil {
			return "", nil, fmt.Errorf("%v\n%s", err, out)
		}
	}
	if err := distrolessUsers(root); err != nil {
		return "", nil, err
	}
	for _, l := range s.v.Image.Layers {
		// As a runtime applies a layer: owners and modes as archived.
		if out, err := exec.Command("tar", "--same-owner", "--numeric-owner", "-xpf", l.Path, "-C", root).CombinedOutput(); err != nil {
			return "", nil, fmt.Errorf("unpack %s: %v\n%s", l.Path, err, out)
		}
	}
	for _, p := range drop {
		if err := os.Remove(filepath.Join(root, p)); err != nil {
			return "", nil, err
		}
	}
	argv := append(slices.Clone(s.v.Image.Entrypoint), s.p.VersionArgs...)
	if !s.v.Platform.Native() {
		// The emulator, a static executable, goes into the root beside
		// the image's files and runs the entrypoint as the runtime of an
		// arm64 host would (binfmt_misc's qemu handler does the same).
		qemu, err := installQemu(root, s.v.Platform)
		if err != nil {
			return "", nil, err
		}
		argv = append([]string{qemu}, argv...)
	}
	out, err := runContainer(root, s.v.Image.User, argv)
	return out, argv, err
}

// libraryFromManifestPath checks that the image's entrypoint loads each
// shared library the protocol ships from the library's MANIFEST path: in
// the image's root (no module cache, no ld.so cache, nothing of the
// host's) it runs, and without that one file it fails, naming it.
func libraryFromManifestPath(t *testing.T, s shipped, libc string) []error {
	t.Helper()
	var errs []error
	for _, e := range s.p.Manifest {
		if !e.IsSharedLibrary() {
			continue
		}
		out, argv, err := runImageWithout(t, s, libc, []string{e.Path})
		what := fmt.Sprintf("image %s without %s: %s", s.v.Image.Rule, e.Path, strings.Join(argv, " "))
		if err == nil || !strings.Contains(out, e.Base()) {
			errs = append(errs, fmt.Errorf("%s: want a failure to load %s, got %v:\n%s", what, e.Base(), err, out))
			continue
		}
		t.Logf("%s fails as it must: %s", what, strings.TrimSpace(out))
	}
	return errs
}

// printsVersion checks that a command exited 0 and printed p's version, or,
// for a known failure (forge_known_failure in its BUILD file), that it
// fails just so.
func printsVersion(t *testing.T, p *spec.Protocol, what, out string, err error) error {
	t.Helper()
	if known := p.KnownFailure; known != "" {
		if err != nil && strings.Contains(out, known) {
			t.Logf("%s: fails as known: %s", what, known)
			return nil
		}
		return fmt.Errorf("%s: expected the known failure %q, got %v:\n%s\n(if it is fixed, remove forge_known_failure from its BUILD file)", what, known, err, out)
	}
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", what, err, out)
	}
	if !strings.Contains(out, p.PrintedVersion()) {
		return fmt.Errorf("%s printed %q, not the version %s", what, out, p.PrintedVersion())
	}
	return nil
}

// runGeneratedTests runs what the variant's generated layer_run_test and
// deb_test run under `bazel test`, with the attributes of the committed
// BUILD file, over the artifacts with the real binaries inside.
func runGeneratedTests(t *testing.T, repo *spec.Repo, s shipped) []error {
	t.Helper()
	pkg, err := packaging.LoadPackage(filepath.Join(repo.Root, s.p.Dir, "BUILD.bazel"), s.p.Dir)
	if err != nil {
		return []error{err}
	}
	suffix := strings.TrimPrefix(s.v.Image.Rule, "image")
	run, debTest := pkg.Rule("run_test"+suffix), pkg.Rule("deb_test"+suffix)
	if run == nil || debTest == nil {
		return []error{fmt.Errorf("%s: no run_test%s or deb_test%s", s.p.Dir, suffix, suffix)}
	}
	var errs []error
	if !s.v.Platform.Native() {
		// Bazel skips it on this host too (target_compatible_with);
		// runImage ran this layer's entrypoint under qemu.
		t.Logf("%s: not run on this host, as under bazel test", run.Name())
	} else if out, err := artifacttest.RunLayer(artifacttest.LayerRun{
		Layer:        s.v.Image.Layers[0].Path,
		Entrypoint:   run.AttrStrings("entrypoint"),
		VersionArgs:  run.AttrStrings("version_args"),
		Version:      run.AttrString("version"),
		KnownFailure: run.AttrString("known_failure"),
		Dir:          t.TempDir(),
	}); err != nil {
		errs = append(errs, fmt.Errorf("%s: %v", run.Name(), err))
	} else {
		t.Logf("%s: %s", run.Name(), strings.TrimSpace(out))
	}
	opts, err := debian.LoadOptions(repo, s.p)
	if err != nil {
		return append(errs, err)
	}
	rendered := t.TempDir()
	if err := debian.Render(repo, s.p, s.v.Target, s.v.Platform, opts).Write(rendered); err != nil {
		return append(errs, err)
	}
	for _, err := range artifacttest.CheckDeb(s.v.Deb.Path, rendered) {
		errs = append(errs, fmt.Errorf("%s: %v", debTest.Name(), err))
	}
	return errs
}

// nobody is who unpacks and runs the archive: a user that owns nothing the
// archive does not give it.
const nobody = 65532

// runArchive unpacks the release archive as an unprivileged user, as a
// user would, and runs each executable in it with the version arguments.
func runArchive(t *testing.T, s shipped) []error {
	t.Helper()
	dir, err := os.MkdirTemp("", "forge-archive-")
	if err != nil {
		return []error{err}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, nobody, nobody); err != nil {
		return []error{err}
	}
	// The user downloads the archive, then unpacks it.
	archive := filepath.Base(s.v.Archive.Path)
	if out, err := exec.Command("cp", s.v.Archive.Path, filepath.Join(dir, archive)).CombinedOutput(); err != nil {
		return []error{fmt.Errorf("%v\n%s", err, out)}
	}
	if err := os.Chown(filepath.Join(dir, archive), nobody, nobody); err != nil {
		return []error{err}
	}
	home, err := nobodysHome(t)
	if err != nil {
		return []error{err}
	}
	if out, err := runAs(nobody, nobody, home, dir, "tar", "-xf", archive); err != nil {
		return []error{fmt.Errorf("unpack %s as uid %d: %v\n%s", archive, nobody, err, out)}
	}
	var errs []error
	for _, e := range s.p.Manifest {
		if e.IsSharedLibrary() {
			continue
		}
		argv := s.v.Platform.Command(filepath.Join(dir, e.Base()), s.p.VersionArgs...)
		out, err := runAsWith(nobody, nobody, home, dir, emulatedLibc(s), argv[0], argv[1:]...)
		what := fmt.Sprintf("archive %s: %s %s as uid %d", archive, e.Base(), strings.Join(s.p.VersionArgs, " "), nobody)
		if e != s.p.Service {
			// Only the service is the release VERSION names: btcd
			// v0.26.2's btcctl says 0.23.1 (upstream's cmd/btcctl/
			// version.go). The others must run and answer.
			if err != nil || strings.TrimSpace(out) == "" {
				errs = append(errs, fmt.Errorf("%s: %v\n%s", what, err, out))
			}
			continue
		}
		if err := printsVersion(t, s.p, what, out, err); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// installQemu copies the platform's qemu-user-static into root and returns
// its path inside root.
func installQemu(root string, pl platform.Platform) (string, error) {
	host, err := exec.LookPath(pl.Qemu)
	if err != nil {
		return "", fmt.Errorf("%s runs the %s image: %v (Debian's qemu-user-static, tools/assemble/testdeps.txt)", pl.Qemu, pl.OCI, err)
	}
	in := "/" + pl.Qemu
	if out, err := exec.Command("cp", host, filepath.Join(root, in)).CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	return in, nil
}

// runForeignDeb checks a .deb this host does not install: dpkg-deb reads
// its Architecture as the platform's, and its service executable, unpacked
// as dpkg would install it, prints the version under the platform's qemu
// as an unprivileged user.
func runForeignDeb(t *testing.T, s shipped) []error {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--field", s.v.Deb.Path, "Architecture").CombinedOutput()
	if err != nil {
		return []error{fmt.Errorf("dpkg-deb --field %s: %v\n%s", s.v.Deb.Path, err, out)}
	}
	if got := strings.TrimSpace(string(out)); got != s.v.Platform.Debian {
		return []error{fmt.Errorf("%s: Architecture %q, want %q", s.v.Deb.Path, got, s.v.Platform.Debian)}
	}
	dir, err := os.MkdirTemp("", "forge-deb-")
	if err != nil {
		return []error{err}
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if out, err := exec.Command("dpkg-deb", "-x", s.v.Deb.Path, dir).CombinedOutput(); err != nil {
		return []error{fmt.Errorf("dpkg-deb -x %s: %v\n%s", s.v.Deb.Path, err, out)}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return []error{err}
	}
	home, err := nobodysHome(t)
	if err != nil {
		return []error{err}
	}
	argv := s.v.Platform.Command(filepath.Join(dir, s.p.Service.Path), s.p.VersionArgs...)
	run, err := runAsWith(nobody, nobody, home, dir, emulatedLibc(s), argv[0], argv[1:]...)
	what := fmt.Sprintf("deb %s: %s as uid %d", filepath.Base(s.v.Deb.Path), strings.Join(argv, " "), nobody)
	if err := printsVersion(t, s.p, what, run, err); err != nil {
		return []error{err}
	}
	return nil
}

// previousReleases assembles, for each protocol, its package of the
// previous VERSION: the VERSION before the current one in git history, or,
// when history has none, the current tag with its last non-zero number
// lowered. The BUILD file is what generation writes for that VERSION, the
// rendered files are that VERSION's; each MANIFEST entry is a stand-in, a
// script that prints the old version (the test is about what dpkg keeps on
// upgrade; the old release's binaries would cost a second build of every
// protocol, and compressing them a minute).
func previousReleases(t *testing.T, repo *spec.Repo, out string) map[string]shipped {
	t.Helper()
	var protocols []*spec.Protocol
	var pkgs []*packaging.Package
	var repos []*spec.Repo
	stubs := map[string]string{}
	for _, p := range repo.Protocols {
		tag, from := previousTag(t, repo.Root, p)
		tree := t.TempDir()
		copyFile(t, repo.Root, tree, "BUILD.bazel")
		copyFile(t, repo.Root, tree, path.Join(metadata.ProtocolsDir, "BUILD.bazel"))
		if err := os.CopyFS(filepath.Join(tree, p.Dir), os.DirFS(filepath.Join(repo.Root, p.Dir))); err != nil {
			t.Fatal(err)
		}
		versionFile := filepath.Join(tree, p.Dir, metadata.VersionFile)
		current, err := os.ReadFile(versionFile)
		if err != nil {
			t.Fatal(err)
		}
		older := strings.Replace(string(current), p.Tag, tag, 1)
		if err := os.WriteFile(versionFile, []byte(older), 0o644); err != nil {
			t.Fatal(err)
		}
		changes, err := generate.Changes(tree, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		build, ok := changes[path.Join(p.Dir, "BUILD.bazel")]
		if !ok {
			t.Fatalf("%s: generation at %s changes no BUILD file", p.Name, tag)
		}
		f, err := bzl.ParseBuild(path.Join(p.Dir, "BUILD.bazel"), build)
		if err != nil {
			t.Fatal(err)
		}
		oldRepo, err := spec.LoadProtocol(tree, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		oldP := oldRepo.ByName(p.Name)
		for _, e := range oldP.Manifest {
			stub := filepath.Join(out, "stand-ins", p.Name, e.Base())
			if err := os.MkdirAll(filepath.Dir(stub), 0o755); err != nil {
				t.Fatal(err)
			}
			script := fmt.Sprintf("#!/bin/sh\necho '%s %s (the previous release, a stand-in)'\n", e.Base(), strings.TrimPrefix(tag, "v"))
			if err := os.WriteFile(stub, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, pl := range oldP.Platforms {
				stubs[assemble.SourceKey(pl, assemble.SourceLabel(oldP, e))] = stub
			}
		}
		t.Logf("%s: previous release %s (%s)", p.Name, tag, from)
		protocols, pkgs, repos = append(protocols, oldP), append(pkgs, packaging.NewPackage(f, p.Dir)), append(repos, oldRepo)
	}
	prev := map[string]shipped{}
	for i, p := range protocols {
		for _, s := range assembleParallel(t, repos[i], []*spec.Protocol{p}, []*packaging.Package{pkgs[i]}, stubs, out) {
			prev[s.String()] = s
		}
	}
	return prev
}

// previousTag is the tag of p's previous release and where it comes from.
func previousTag(t *testing.T, root string, p *spec.Protocol) (string, string) {
	t.Helper()
	file := path.Join(p.Dir, metadata.VersionFile)
	if log, err := exec.Command("git", "-C", root, "log", "--format=%H", "--", file).Output(); err == nil {
		for _, commit := range strings.Fields(string(log)) {
			old, err := exec.Command("git", "-C", root, "show", commit+":"+file).Output()
			if err != nil {
				continue
			}
			tag := strings.TrimSpace(string(old))
			tag = tag[strings.LastIndex(tag, "/")+1:]
			if tag != p.Tag && debversion.Compare(debversion.FromTag(tag), debversion.FromTag(p.Tag)) < 0 {
				return tag, "VERSION at " + commit[:12]
			}
		}
	}
	tag := lowerTag(p.Tag)
	if tag == "" || debversion.Compare(debversion.FromTag(tag), debversion.FromTag(p.Tag)) >= 0 {
		t.Fatalf("%s: no VERSION before %s in git history, and no lower release number to make one of", p.Name, p.Tag)
	}
	return tag, "no earlier VERSION in git history; the tag lowered"
}

var numbers = regexp.MustCompile(`[0-9]+`)

// lowerTag is tag with its last non-zero number of the leading version
// lowered by one and any pre-release suffix dropped (v1.17.10: v1.17.9), or
// "" when there is none.
func lowerTag(tag string) string {
	prefix := ""
	if len(tag) > 1 && (tag[0] == 'v' || tag[0] == 'V') {
		prefix, tag = tag[:1], tag[1:]
	}
	end := 0
	for end < len(tag) && (tag[end] == '.' || '0' <= tag[end] && tag[end] <= '9') {
		end++
	}
	parts := strings.Split(strings.TrimRight(tag[:end], "."), ".")
	for i := len(parts) - 1; i >= 0; i-- {
		if !numbers.MatchString(parts[i]) {
			return ""
		}
		n := 0
		fmt.Sscan(parts[i], &n)
		if n > 0 {
			parts[i] = fmt.Sprint(n - 1)
			return prefix + strings.Join(parts, ".")
		}
	}
	return ""
}

func copyFile(t *testing.T, from, to, rel string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(from, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(to, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(to, rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// batches groups packages that can be installed together: no two with the
// same package name or a file at the same path (op-geth and geth both ship
// /usr/local/bin/geth).
func batches(all []shipped) [][]shipped {
	var out [][]shipped
	var taken []map[string]bool
	for _, s := range all {
		paths := map[string]bool{"package " + s.p.Name: true}
		for _, m := range s.v.Deb.Data.Tar.Members {
			if !m.Dir {
				paths[m.Name] = true
			}
		}
		i := slices.IndexFunc(taken, func(t map[string]bool) bool {
			for p := range paths {
				if t[p] {
					return false
				}
			}
			return true
		})
		if i < 0 {
			out, taken = append(out, nil), append(taken, map[string]bool{})
			i = len(out) - 1
		}
		out[i] = append(out[i], s)
		for p := range paths {
			taken[i][p] = true
		}
	}
	return out
}

// aptInstall installs the .debs into the chroot with apt-get, all in one
// transaction, and returns its output.
func aptInstall(system string, debs []shipped) (string, error) {
	dir := filepath.Join(system, "tmp", "debs")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	args := []string{system, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends", "--allow-downgrades"}
	for _, s := range debs {
		name := filepath.Base(s.v.Deb.Path)
		if out, err := exec.Command("cp", s.v.Deb.Path, filepath.Join(dir, name)).CombinedOutput(); err != nil {
			return string(out), err
		}
		args = append(args, "/tmp/debs/"+name)
	}
	out, err := exec.Command("chroot", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("apt-get install %s: %v\n%s", strings.Join(args[8:], " "), err, out)
	}
	return string(out), nil
}

// execStart is the installed unit's ExecStart command without $OPTIONS.
func execStart(system, name string) ([]string, error) {
	unit, err := os.ReadFile(filepath.Join(system, debian.UnitPath(name)))
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(unit), "\n") {
		value, ok := strings.CutPrefix(line, "ExecStart=")
		if !ok {
			continue
		}
		if strings.ContainsAny(value, `"'\%`) {
			return nil, fmt.Errorf("%s: ExecStart=%s needs systemd's unquoting, which this test does not do", name, value)
		}
		var argv []string
		for _, w := range strings.Fields(value) {
			if w != "$OPTIONS" && w != "${OPTIONS}" {
				argv = append(argv, w)
			}
		}
		if len(argv) > 0 {
			argv[0] = strings.TrimLeft(argv[0], "@-:+!")
		}
		return argv, nil
	}
	return nil, fmt.Errorf("%s: no ExecStart in %s", name, debian.UnitPath(name))
}

// debInstalledChecks checks installed packages: as the service user the
// unit's ExecStart command with the version arguments prints the version;
// the user owns /var/lib/<name>; systemd-analyze verify passes on the
// installed unit, the real binary in place.
func debInstalledChecks(t *testing.T, system string, debs []shipped) []error {
	t.Helper()
	var errs []error
	for _, s := range debs {
		name := s.p.Name
		want, _ := s.v.Deb.Model.Field("Version")
		if out, err := forgechroot.Output(system, "dpkg-query -W -f='${Version}' "+name); err != nil || out != want {
			errs = append(errs, fmt.Errorf("%s: dpkg-query says version %q (%v), want %s", s, out, err, want))
		}
		argv, err := execStart(system, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		argv = append(argv, s.p.VersionArgs...)
		// As systemd starts the service: /proc mounted, and for User= the
		// environment names the user and its home (systemd.exec(5),
		// "Environment Variables in Spawned Processes"), here
		// /var/lib/<name>.
		cmd := append([]string{"--mount", "--pid", "--fork", "--mount-proc=" + filepath.Join(system, "proc"),
			"chroot", system, "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"HOME=" + debian.HomeDir(name), "USER=" + name, "LOGNAME=" + name,
			"setpriv", "--reuid=" + name, "--regid=" + name, "--init-groups", "--"}, argv...)
		out, err := exec.Command("unshare", cmd...).CombinedOutput()
		what := fmt.Sprintf("%s: ExecStart as user %s: %s", s, name, strings.Join(argv, " "))
		if err := printsVersion(t, s.p, what, string(out), err); err != nil {
			errs = append(errs, err)
		}
		home := debian.HomeDir(name)
		if got, err := forgechroot.Output(system, "stat -c %U:%G "+home); err != nil || got != name+":"+name {
			errs = append(errs, fmt.Errorf("%s: %s is owned by %q (%v), want %s:%s", s, home, got, err, name, name))
		}
		verify := exec.Command("systemd-analyze", "verify", "--root="+system, debian.UnitPath(name))
		if out, err := verify.CombinedOutput(); err != nil || len(out) > 0 {
			errs = append(errs, fmt.Errorf("%s: systemd-analyze verify %s: %v\n%s", s, debian.UnitPath(name), err, out))
		}
		errs = append(errs, dependsCoverLibraries(t, system, s)...)
	}
	return errs
}

// dependsCoverLibraries checks the .deb's Depends against what its ELF
// files load: every library one of them needs (DT_NEEDED) is shipped by the
// package itself or installed, in the chroot, by a package the control file
// depends on (libc6 for glibc's, libgcc-s1 for libgcc_s.so.1).
func dependsCoverLibraries(t *testing.T, system string, s shipped) []error {
	t.Helper()
	depends := map[string]bool{}
	field, _ := s.v.Deb.Model.Field("Depends")
	for _, d := range strings.Split(field, ",") {
		if name := strings.Fields(d); len(name) > 0 {
			depends[name[0]] = true
		}
	}
	shipped := map[string]bool{}
	for _, e := range s.p.Manifest {
		shipped[e.Base()] = true
	}
	var errs []error
	for _, e := range s.p.Manifest {
		f, err := elf.Open(filepath.Join(system, e.Path))
		if err != nil {
			continue // not an ELF file (a directory, data)
		}
		needed, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %v", s, e.Path, err))
			continue
		}
		for _, lib := range needed {
			if shipped[lib] {
				continue
			}
			owners, err := forgechroot.Output(system, "dpkg -S '*/"+lib+"'")
			var pkgs []string
			covered := false
			for _, line := range strings.Split(owners, "\n") {
				pkg, _, ok := strings.Cut(line, ":")
				if !ok {
					continue
				}
				pkgs = append(pkgs, pkg)
				covered = covered || depends[pkg]
			}
			if err != nil || !covered {
				errs = append(errs, fmt.Errorf("%s: %s needs %s, which %q installs (%v), and Depends %q names none of them", s, e.Path, lib, pkgs, err, field))
			}
		}
	}
	return errs
}

// debLifecycle installs every package into one Debian 12 chroot, batch by
// batch: a fresh install and its checks, a purge; then the previous
// release, an operator's edit and data, the upgrade to this one and its
// checks, a purge — each step as docs/debian.md says.
func debLifecycle(t *testing.T, system string, all []shipped, prev map[string]shipped) {
	t.Helper()
	// systemd-analyze verify resolves the unit's dependencies
	// (sysinit.target, ...) under --root: the minbase chroot has no
	// systemd, so the host's (also Debian 12) units go beside ours.
	if out, err := exec.Command("cp", "-a", "-n", "/usr/lib/systemd/system", filepath.Join(system, "usr/lib/systemd/")).CombinedOutput(); err != nil {
		t.Fatalf("copy the host's systemd units: %v\n%s", err, out)
	}
	const edit = `OPTIONS="--operator-setting"`
	for _, batch := range batches(all) {
		var names []string
		for _, s := range batch {
			names = append(names, s.p.Name)
		}
		t.Logf("batch %v", names)

		// A fresh install.
		if _, err := aptInstall(system, batch); err != nil {
			t.Fatal(err)
		}
		for _, err := range debInstalledChecks(t, system, batch) {
			t.Error(err)
		}
		// Purge with no data: conffiles, files and the empty data
		// directory go; the user stays. The ExecStart check above may
		// have left files in the home (a Cosmos chain's every command
		// writes its default configuration under $HOME): they are
		// removed first, as the purge keeps any data (checked below).
		for _, n := range names {
			forgechroot.Run(t, system, "find "+debian.HomeDir(n)+" -mindepth 1 -delete")
		}
		forgechroot.Run(t, system, "dpkg --purge "+strings.Join(names, " "))
		for _, s := range batch {
			gone(t, system, s, "fresh install, purge", debian.DefaultPath(s.p.Name), debian.UnitPath(s.p.Name), s.p.Service.Path, debian.HomeDir(s.p.Name))
			userKept(t, system, s, "fresh install, purge")
		}

		// The previous release, the operator's edit and data, then the
		// upgrade to this one.
		var olds []shipped
		for _, s := range batch {
			old, ok := prev[s.String()]
			if !ok {
				t.Fatalf("%s: no previous release assembled", s)
			}
			olds = append(olds, old)
		}
		if _, err := aptInstall(system, olds); err != nil {
			t.Fatal(err)
		}
		for _, s := range batch {
			n := s.p.Name
			forgechroot.Run(t, system, fmt.Sprintf("echo '%s' >> %s && echo 'chain data' > %s/data && chown %s:%s %s/data",
				edit, debian.DefaultPath(n), debian.HomeDir(n), n, n, debian.HomeDir(n)))
		}
		if _, err := aptInstall(system, batch); err != nil {
			t.Fatal(err)
		}
		for _, err := range debInstalledChecks(t, system, batch) {
			t.Error(err)
		}
		for _, s := range batch {
			n := s.p.Name
			if got := forgechroot.Run(t, system, "tail -n 1 "+debian.DefaultPath(n)); got != edit {
				t.Errorf("%s: upgrade: %s ends with %q, want the operator's edit", s, debian.DefaultPath(n), got)
			}
			if got := forgechroot.Run(t, system, "cat "+debian.HomeDir(n)+"/data"); got != "chain data" {
				t.Errorf("%s: upgrade: %s/data holds %q", s, debian.HomeDir(n), got)
			}
		}
		// Purge with data: the conffile goes, the data and user stay.
		forgechroot.Run(t, system, "dpkg --purge "+strings.Join(names, " "))
		for _, s := range batch {
			gone(t, system, s, "upgrade, purge", debian.DefaultPath(s.p.Name), debian.UnitPath(s.p.Name), s.p.Service.Path)
			userKept(t, system, s, "upgrade, purge")
			if got := forgechroot.Run(t, system, "cat "+debian.HomeDir(s.p.Name)+"/data"); got != "chain data" {
				t.Errorf("%s: purge deleted the chain data in %s (%q)", s, debian.HomeDir(s.p.Name), got)
			}
			forgechroot.Run(t, system, "rm -r "+debian.HomeDir(s.p.Name))
		}
	}
}

func gone(t *testing.T, system string, s shipped, step string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(filepath.Join(system, p)); err == nil {
			t.Errorf("%s: %s: %s is still there", s, step, p)
		}
	}
}

func userKept(t *testing.T, system string, s shipped, step string) {
	t.Helper()
	want := debian.HomeDir(s.p.Name) + ":/usr/sbin/nologin"
	if got, _ := forgechroot.Output(system, "getent passwd "+s.p.Name+" | cut -d: -f6,7"); got != want {
		t.Errorf("%s: %s: user %s has home:shell %q, want %q", s, step, s.p.Name, got, want)
	}
}

// nobodysHome makes a home directory owned by nobody, where a Cosmos
// chain writes its configuration, removed when t ends.
func nobodysHome(t *testing.T) (string, error) {
	home, err := os.MkdirTemp("", "forge-home-")
	if err != nil {
		return "", err
	}
	t.Cleanup(func() { os.RemoveAll(home) })
	return home, os.Chown(home, nobody, nobody)
}
