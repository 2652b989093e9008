package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// The index finds the pairs of protocols that comparing every pair finds,
// over the old system's corpus, which has such pairs, and a few made up.
func TestOverlappingPairsAreEveryPairThatOverlaps(t *testing.T) {
	mps, err := metadata.LoadAll(corpus.Root(t))
	if err != nil {
		t.Fatal(err)
	}
	r := &Repo{}
	for _, mp := range mps {
		r.Protocols = append(r.Protocols, &Protocol{Protocol: mp})
	}
	for i, paths := range [][]string{{"/opt/x/bin/x", "/usr/local/bin/same"}, {"/opt/x", "/usr/local/bin/same"}, {"/opt/x/bin/y"}} {
		p := &metadata.Protocol{Name: fmt.Sprintf("made-up-%d", i)}
		for _, s := range paths {
			p.Manifest = append(p.Manifest, metadata.Entry{Path: s})
		}
		r.Protocols = append(r.Protocols, &Protocol{Protocol: p})
	}
	var want [][2]int
	for i, p := range r.Protocols {
		for j := i + 1; j < len(r.Protocols); j++ {
			if _, _, ok := overlap(p, r.Protocols[j]); ok {
				want = append(want, [2]int{i, j})
			}
		}
	}
	got := overlappingPairs(r)
	if fmt.Sprint(got) != fmt.Sprint(want) || len(want) < 3 {
		t.Errorf("overlappingPairs = %v, want %v", got, want)
	}
}

// forge_platforms narrows a protocol's platforms; a bad value is an error
// at the directive's line, and the protocol keeps the table's order.
func TestPlatformsDirective(t *testing.T) {
	for _, c := range []struct {
		build, want, err string
	}{
		{build: "", want: "linux_amd64 linux_arm64"},
		{build: "# gazelle:forge_platforms linux/amd64\n", want: "linux_amd64"},
		{build: "# gazelle:forge_platforms linux/arm64 linux/amd64\n", want: "linux_amd64 linux_arm64"},
		{build: "\n# gazelle:forge_platforms linux/arm64/v8\n", err: `protocols/juno/BUILD.bazel:2: forge_platforms: unknown platform "linux/arm64/v8"; forge builds for linux/amd64, linux/arm64`},
		{build: "# gazelle:forge_platforms\n", err: `protocols/juno/BUILD.bazel:1: forge_platforms needs the platforms to build for, of linux/amd64, linux/arm64`},
		{build: "# gazelle:forge_platforms linux/amd64 linux/amd64\n", err: `protocols/juno/BUILD.bazel:1: forge_platforms: linux/amd64 is listed twice`},
		{build: "# gazelle:forge_platforms linux/amd64\n# gazelle:forge_platforms linux/arm64\n", err: `protocols/juno/BUILD.bazel:2: forge_platforms is given twice`},
	} {
		root := t.TempDir()
		files := map[string]string{"protocols/juno/MANIFEST": "/usr/local/bin/juno\n", "protocols/juno/BUILD.bazel": c.build}
		for rel, content := range files {
			if err := os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		r, err := Load(root)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: got %v, want %s", c.build, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", c.build, err)
		}
		var names []string
		for _, pl := range r.Protocols[0].Platforms {
			names = append(names, pl.Name)
		}
		if got := strings.Join(names, " "); got != c.want {
			t.Errorf("%q: platforms %s, want %s", c.build, got, c.want)
		}
		if stated := c.build != ""; r.Protocols[0].PlatformsStated != stated {
			t.Errorf("%q: PlatformsStated = %v", c.build, !stated)
		}
	}
}
