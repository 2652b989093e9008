package spec

import (
	"fmt"
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
