package metadata

import (
	"testing"

	"github.com/protocol-forge/protocol-forge/tools/internal/corpus"
)

// The format must read every protocol of the system we replace.
func TestReadsTheWholeCorpus(t *testing.T) {
	root := corpus.Root(t)
	protocols, err := LoadAll(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(protocols) < 30 {
		t.Fatalf("read %d protocols from the corpus, want every one with a MANIFEST (over 30)", len(protocols))
	}
	byName := map[string]*Protocol{}
	for _, p := range protocols {
		byName[p.Name] = p
	}
	if p := byName["agoric-ag0"]; p == nil || p.Version != "agoric-upgrade-7-2" {
		t.Errorf("agoric-ag0 = %+v, want VERSION with its trailing blank line stripped", p)
	}
	if p := byName["acala"]; p == nil || len(p.Runners) != 1 || p.Runners[0] != "self-hosted" {
		t.Errorf("acala runners = %+v, want [self-hosted] from a RUNNER without a final newline", p)
	}
	if p := byName["base-rocksdb"]; p == nil || len(p.Targets) != 3 || p.ImageTag(p.Targets[2]) != "jammy-v7.7.3" {
		t.Errorf("base-rocksdb = %+v, want three named Ubuntu variants", p)
	}
	if _, ok := byName["base-go1.19"]; ok {
		t.Errorf("base-go1.19 has no MANIFEST and is not a protocol")
	}
}
