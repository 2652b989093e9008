//go:build realtools

package gosource

import (
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
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
	out := t.TempDir()
	for _, b := range bins {
		for _, pl := range b.Protocol.Platforms {
			t.Run(b.Protocol.Name+"/"+b.Entry.Base()+"/"+pl.Name, func(t *testing.T) {
				bin := filepath.Join(out, pl.Name, b.Protocol.Name, b.Entry.Base())
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
				if b.Entry != b.Protocol.Service {
					return
				}
				args := b.Protocol.VersionArgs
				argv := pl.Command(bin, args...)
				start = time.Now()
				msg, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
				if err != nil {
					t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, msg)
				}
				t.Logf("%s: %s", strings.Join(argv, " "), time.Since(start).Round(100*time.Millisecond))
				want := strings.TrimPrefix(b.Protocol.Tag, "v")
				if !strings.Contains(string(msg), want) {
					t.Errorf("%s printed %q, which does not report VERSION %s", strings.Join(argv, " "), msg, b.Protocol.Tag)
				}
				if links(t, root, b, cosmosInit) {
					initHome(t, pl, bin)
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
func initHome(t *testing.T, pl platform.Platform, bin string) {
	t.Helper()
	home := t.TempDir()
	const chainID = "forge_9000-1"
	argv := pl.Command(bin, "init", "forge-test", "--chain-id", chainID, "--home", home)
	if msg, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
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
