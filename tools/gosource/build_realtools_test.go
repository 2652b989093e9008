//go:build realtools

package gosource

import (
	"debug/elf"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Every protocol's binaries build with plain go from the modules go.mod pins,
// with the cgo setting of the platform rules_go builds them for, and each
// service executable reports the release in VERSION.
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
		t.Run(b.Protocol.Name+"/"+b.Entry.Base(), func(t *testing.T) {
			bin := filepath.Join(out, b.Protocol.Name, b.Entry.Base())
			if err := b.Build(root, bin); err != nil {
				t.Fatal(err)
			}
			if !b.Cgo && !isStatic(t, bin) {
				t.Errorf("%s built without cgo is dynamically linked", bin)
			}
			if b.Entry != b.Protocol.Service {
				return
			}
			args := b.Protocol.VersionArgs
			msg, err := exec.Command(bin, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, msg)
			}
			want := strings.TrimPrefix(b.Protocol.Tag, "v")
			if !strings.Contains(string(msg), want) {
				t.Errorf("%s %s printed %q, which does not report VERSION %s", b.Entry.Base(), strings.Join(args, " "), msg, b.Protocol.Tag)
			}
		})
	}
}

// isStatic reports whether an ELF executable asks for no dynamic loader.
func isStatic(t *testing.T, path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}
