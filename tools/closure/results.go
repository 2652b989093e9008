package closure

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// A run's result depends on what it reads of the main repository, which
// mainRepo notes as it reads (MODULE.bazel, every go.mod and go.sum of the
// root and of protocols/*, the BUILD files of the packages the walk starts
// from or reaches, REPO.bazel, the files it asks about, the directories it
// lists, local replacements' trees), and on this program (resultEnv). The
// go_deps repositories it walks are made from those alone: each is keyed
// by the module's sum and the overrides (cacheKey), and a run in which one
// could not be made keeps nothing.

// resultFormat changes whenever a kept result's form or meaning changes.
const resultFormat = "closure result 1"

// maxResults bounds the results a repository's store keeps: the one of a
// run over every package, and the latest of runs over some.
const maxResults = 16

// everyPackage is the scope of a run over every package.
const everyPackage = "*"

type storeData struct {
	Results map[string]*keptResult // by scope
}

type keptResult struct {
	Env   string
	Deps  []keptDep
	Stats Stats
	Errs  []metadata.Error
	Kept  int64 // Unix nanoseconds
}

type keptDep struct {
	Kind         byte
	Path, Result string
}

// resultStore is the store of one run: the results kept for its
// repository, and its scope (the packages it starts from).
type resultStore struct {
	dir, root, scope, env string
	data                  storeData
}

func openResults(dir, root string, packages []string) *resultStore {
	s := &resultStore{dir: dir, root: root, scope: everyPackage, env: resultEnv()}
	if packages != nil {
		s.scope = strings.Join(slices.Sorted(slices.Values(packages)), "\n")
	}
	if !cache.Load(dir, root, &s.data) || s.data.Results == nil {
		s.data = storeData{Results: map[string]*keptResult{}}
	}
	return s
}

// resultEnv identifies what every result depends on besides the
// repository: this program (the walk; gazelle GazelleVersion's code it runs
// to make repositories; the go.mod files of bazel_deps in facts/ and
// gazelle's default overrides, overrides.go, that it embeds) and the forms
// of its stores. "" when the program cannot be identified: nothing is kept.
func resultEnv() string {
	exe, err := cache.Executable()
	if err != nil {
		return ""
	}
	return cache.Hash([]byte(exe), []byte(resultFormat), []byte(cacheFormat), []byte(GazelleVersion), []byte(GazelleV2Version))
}

// replay returns the kept result of the run's scope when everything it
// depends on is as it was.
func (s *resultStore) replay() (Stats, metadata.ErrorList, bool) {
	r := s.data.Results[s.scope]
	if s.env == "" || r == nil || r.Env != s.env || !allHold(s.root, r.Deps) {
		return Stats{}, nil, false
	}
	stats := r.Stats
	stats.Replayed = true
	stats.Generated, stats.Gazelle, stats.Cached = 0, 0, 0
	var errs metadata.ErrorList
	for i := range r.Errs {
		e := r.Errs[i]
		errs = append(errs, &e)
	}
	return stats, errs, true
}

// allHold checks deps in parallel: most are files to read and hash.
func allHold(root string, deps []keptDep) bool {
	const workers = 8
	var failed atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(deps) && !failed.Load(); i += workers {
				if d := deps[i]; !holds(root, dep{d.Kind, d.Path}, d.Result) {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return !failed.Load()
}

// keep stores a walk's result with what it read.
func (s *resultStore) keep(deps map[dep]string, stats Stats, errs metadata.ErrorList) {
	if s.env == "" {
		return
	}
	r := &keptResult{Env: s.env, Stats: stats, Kept: time.Now().UnixNano()}
	for d, result := range deps {
		r.Deps = append(r.Deps, keptDep{d.Kind, d.Path, result})
	}
	slices.SortFunc(r.Deps, func(a, b keptDep) int {
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		return strings.Compare(a.Path, b.Path)
	})
	for _, e := range errs {
		r.Errs = append(r.Errs, *e)
	}
	s.data.Results[s.scope] = r
	for len(s.data.Results) > maxResults {
		oldest := ""
		for scope, kept := range s.data.Results {
			if scope != everyPackage && (oldest == "" || kept.Kept < s.data.Results[oldest].Kept) {
				oldest = scope
			}
		}
		delete(s.data.Results, oldest)
	}
	_ = cache.Save(s.dir, s.root, &s.data)
}
