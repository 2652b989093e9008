//go:build realtools

package gosource

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Every protocol's binaries build with plain go from the modules go.mod pins,
// for each platform the protocol ships (GOARCH=arm64 too, with the cgo
// setting of rules_go's platform), as ELF executables of the platform's
// machine, static without cgo; each service executable reports the release
// in VERSION, natively or under the platform's qemu-user-static.
func TestProtocolBinariesBuildAndReportVersion(t *testing.T) {
	root := corpus.RepoRoot(t)
	repo, err := spec.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	bins, err := Find(repo)
	if err != nil {
		t.Fatal(err)
	}
	services := map[string]bool{}
	for _, b := range bins {
		if b.Entry == b.Protocol.Service {
			services[b.Protocol.Name] = true
		}
	}
	for _, p := range repo.Protocols {
		if !services[p.Name] {
			t.Errorf("%s: the service executable %s is not built from a pinned Go module", p.Name, p.Service.Path)
		}
	}
	// The libraries a cgo protocol ships from its modules: the binary's
	// run path must name their MANIFEST directories, and its version
	// command finds them in the module cache here (the acceptance test
	// runs it where only the shipped copy exists).
	moduleFiles, err := FindFiles(repo)
	if err != nil {
		t.Fatal(err)
	}
	libDirs := map[string][]string{}  // protocol: MANIFEST directories
	libPaths := map[string][]string{} // protocol: module cache directories
	for _, f := range moduleFiles {
		file, err := f.Locate(root)
		if err != nil {
			t.Fatal(err)
		}
		libDirs[f.Protocol.Name] = append(libDirs[f.Protocol.Name], path.Dir(f.Entry.Path))
		libPaths[f.Protocol.Name] = append(libPaths[f.Protocol.Name], filepath.Dir(file))
	}
	// tools/test.sh names a directory that outlives this test, from which
	// the acceptance test takes the binaries instead of linking them again.
	out := os.Getenv("FORGE_TEST_BINARIES")
	if out == "" {
		out = t.TempDir()
	}
	for _, b := range bins {
		for _, pl := range b.Protocol.Platforms {
			t.Run(b.Protocol.Name+"/"+b.Entry.Base()+"/"+pl.Name, func(t *testing.T) {
				bin := b.File(out, pl)
				start := time.Now()
				if err := b.Build(root, bin, pl); err != nil {
					t.Fatal(err)
				}
				t.Logf("go build %s for %s: %s", b.Package, pl.OCI, time.Since(start).Round(100*time.Millisecond))
				machine, static := elfOf(t, bin)
				if machine != pl.Machine {
					t.Errorf("%s built for %s is an ELF for %v, not %v", bin, pl.OCI, machine, pl.Machine)
				}
				if !b.Cgo && !static {
					t.Errorf("%s built without cgo is dynamically linked", bin)
				}
				if b.Cgo {
					checkCgoLinkage(t, bin, libDirs[b.Protocol.Name])
				}
				if b.Entry != b.Protocol.Service {
					return
				}
				args := b.Protocol.VersionArgs
				argv := pl.Command(bin, args...)
				start = time.Now()
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Env = runEnv(pl, b.Cgo, libPaths[b.Protocol.Name])
				msg, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, msg)
				}
				t.Logf("%s: %s", strings.Join(argv, " "), time.Since(start).Round(100*time.Millisecond))
				want := strings.TrimPrefix(b.Protocol.Tag, "v")
				if !strings.Contains(string(msg), want) {
					t.Errorf("%s printed %q, which does not report VERSION %s", strings.Join(argv, " "), msg, b.Protocol.Tag)
				}
				if links(t, root, b, cosmosInit) {
					initHome(t, pl, bin, runEnv(pl, b.Cgo, libPaths[b.Protocol.Name]))
				}
			})
		}
	}
}

// cosmosInit is the Cosmos SDK package of the `init` command, which every
// chain application's root command adds (genutilcli.InitCmd).
const cosmosInit = "github.com/cosmos/cosmos-sdk/x/genutil/client/cli"

// links reports whether b's main package depends on pkg, as the go
// command resolves it with b's go.mod and cgo setting.
func links(t *testing.T, root string, b Binary, pkg string) bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", b.Package)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(b.Dir))
	cmd.Env = append(os.Environ(), "CGO_ENABLED="+map[bool]string{true: "1", false: "0"}[b.Cgo])
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", b.Package, err)
	}
	return slices.Contains(strings.Fields(string(out)), pkg)
}

// initHome runs a Cosmos chain's `init` into a new home, as an operator's
// first command, and checks the genesis it writes. The chain ID has the
// form EVM chains require (NAME_EIP155-VERSION); any other chain takes it.
func initHome(t *testing.T, pl platform.Platform, bin string, env []string) {
	t.Helper()
	home := t.TempDir()
	const chainID = "forge_9000-1"
	argv := pl.Command(bin, "init", "forge-test", "--chain-id", chainID, "--home", home)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s init: %v\n%s", filepath.Base(bin), err, msg)
	}
	data, err := os.ReadFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatalf("%s init wrote no genesis: %v", filepath.Base(bin), err)
	}
	var genesis struct {
		ChainID string `json:"chain_id"`
	}
	if err := json.Unmarshal(data, &genesis); err != nil || genesis.ChainID != chainID {
		t.Errorf("%s init wrote a genesis with chain_id %q (%v), want %q", filepath.Base(bin), genesis.ChainID, err, chainID)
	}
	t.Logf("%s init wrote the genesis of %s", filepath.Base(bin), genesis.ChainID)
}

// runEnv is the environment a binary built for pl runs in on this host:
// for a cgo binary under qemu, the platform's C library from Debian's cross
// toolchain (QEMU_LD_PREFIX); with the libraries its protocol ships from its
// modules on LD_LIBRARY_PATH. nil, the test's own environment, when neither
// applies.
func runEnv(pl platform.Platform, cgo bool, libDirs []string) []string {
	var env []string
	if cgo && !pl.Native() {
		env = append(env, "QEMU_LD_PREFIX="+pl.CrossRoot)
	}
	if len(libDirs) > 0 {
		env = append(env, "LD_LIBRARY_PATH="+strings.Join(libDirs, ":"))
	}
	if env == nil {
		return nil
	}
	return append(os.Environ(), env...)
}

// checkCgoLinkage checks what a cgo binary asks of the system that runs
// it: a run path of exactly the MANIFEST directories of the libraries its
// protocol ships and $ORIGIN (never a module's source directory, as
// wasmvm's own link flags would give it), and no glibc symbol version
// newer than the one the C toolchain links against, which its .deb
// depends on.
func checkCgoLinkage(t *testing.T, bin string, libDirs []string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var runPath []string
	for _, tag := range []elf.DynTag{elf.DT_RUNPATH, elf.DT_RPATH} {
		values, err := f.DynString(tag)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			runPath = append(runPath, strings.Split(v, ":")...)
		}
	}
	slices.Sort(runPath)
	// $ORIGIN: the release archive holds the binary and its libraries
	// side by side.
	want := slices.Clone(libDirs)
	if len(want) > 0 {
		want = append(want, "$ORIGIN")
	}
	slices.Sort(want)
	want = slices.Compact(want)
	if !slices.Equal(slices.Compact(runPath), want) {
		t.Errorf("%s has the run path %q, want the directories of the libraries it ships, %q", bin, runPath, want)
	}
	t.Logf("%s: run path %q", filepath.Base(bin), runPath)
	symbols, err := f.ImportedSymbols()
	if err != nil {
		t.Fatal(err)
	}
	newest := ""
	for _, s := range symbols {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && (newest == "" || variant.OlderGlibc(newest, v)) {
			newest = v
		}
	}
	if newest == "" || variant.OlderGlibc(variant.ToolchainGlibc, newest) {
		t.Errorf("%s needs glibc %q, newer than the %s its .deb depends on (or none)", bin, newest, variant.ToolchainGlibc)
	}
	t.Logf("%s: newest glibc symbol version %s", filepath.Base(bin), newest)
}

// elfOf returns an ELF executable's machine, and whether it asks for no
// dynamic loader.
func elfOf(t *testing.T, path string) (elf.Machine, bool) {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return f.Machine, false
		}
	}
	return f.Machine, true
}
