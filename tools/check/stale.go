package check

import (
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// staleFiles returns, sorted, the BUILD files under protocols/ that
// gazelle would change: in the protocol directories dirs only, or (dirs
// empty) in the whole tree.
//
// For the whole tree, gazelle runs only over the directories whose inputs
// changed since a run found them up to date: the store in the user's cache
// keeps, per protocol directory (and for the rest of protocols/), a hash of
// everything gazelle's output there depends on — this program, the root
// files gazelle reads, every file forge reads from the directory, every
// BUILD file in it and the names of all its files.
func staleFiles(root string, dirs []string) ([]string, error) {
	if len(dirs) > 0 {
		stale, err := generate.Changes(root, dirs...)
		return slices.Sorted(maps.Keys(stale)), err
	}
	units, err := stalenessUnits(root)
	if err != nil || units == nil {
		stale, err := generate.Changes(root)
		return slices.Sorted(maps.Keys(stale)), err
	}
	dir, err := cache.Dir("staleness")
	if err != nil {
		stale, err := generate.Changes(root)
		return slices.Sorted(maps.Keys(stale)), err
	}
	var known map[string]string
	cache.Load(dir, root, &known)
	var misses []string
	for unit, key := range units {
		if known[unit] != key {
			misses = append(misses, unit)
		}
	}
	sort.Strings(misses)
	if len(misses) == 0 {
		return nil, nil
	}
	var stale map[string][]byte
	if known[restUnit] != units[restUnit] {
		stale, err = generate.Changes(root)
	} else {
		stale, err = generate.Changes(root, misses...)
	}
	if err != nil {
		return nil, err
	}
	upToDate := map[string]string{}
	for unit, key := range units {
		if known[unit] == key {
			upToDate[unit] = key
		}
	}
	for _, unit := range misses {
		upToDate[unit] = units[unit]
	}
	for file := range stale {
		delete(upToDate, unitOf(file, units))
	}
	_ = cache.Save(dir, root, upToDate)
	return slices.Sorted(maps.Keys(stale)), nil
}

// restUnit stands for protocols/ without its protocol directories: its own
// BUILD file and any directory without a MANIFEST.
const restUnit = metadata.ProtocolsDir

// unitOf is the unit a stale BUILD file (a path relative to the root)
// belongs to.
func unitOf(file string, units map[string]string) string {
	rel := strings.TrimPrefix(file, metadata.ProtocolsDir+"/")
	name, _, _ := strings.Cut(rel, "/")
	if dir := path.Join(metadata.ProtocolsDir, name); units[dir] != "" && dir != restUnit {
		return dir
	}
	return restUnit
}

// stalenessUnits returns the key of each protocol directory and of the
// rest of protocols/; nil when there is no protocols/ or the program
// cannot be identified.
func stalenessUnits(root string) (map[string]string, error) {
	exe, err := cache.Executable()
	if err != nil {
		return nil, nil
	}
	common := [][]byte{[]byte(exe)}
	// What gazelle reads at the root: the module (apparent repository
	// names), what it must not walk, and the root's directives.
	for _, name := range []string{"MODULE.bazel", "WORKSPACE", "WORKSPACE.bazel", "REPO.bazel", ".bazelignore", "BUILD.bazel", "BUILD"} {
		data, err := os.ReadFile(filepath.Join(root, name))
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		common = append(common, []byte(name), data)
	}
	entries, err := os.ReadDir(filepath.Join(root, metadata.ProtocolsDir))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	// Reading the directories is system calls more than computing: it
	// goes on in parallel. A protocol's inputs are hashed where they are
	// read, so that they are not all in memory at once; those of a
	// directory that is no protocol go into the rest's key.
	inputs := make([][][]byte, len(entries))
	hashes := make([]string, len(entries))
	isProtocol := make([]bool, len(entries))
	errs := make([]error, len(entries))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rel := path.Join(metadata.ProtocolsDir, entries[i].Name())
				in, err := dirInputs(root, rel)
				errs[i] = err
				if isProtocol[i] = metadata.IsProtocol(root, rel); isProtocol[i] {
					hashes[i] = cache.Hash(in...)
				} else {
					inputs[i] = in
				}
			}
		}()
	}
	for i, e := range entries {
		if e.IsDir() {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	commonKey := cache.Hash(common...)
	units := map[string]string{}
	rest := append([][]byte(nil), common...)
	for i, e := range entries {
		rel := path.Join(metadata.ProtocolsDir, e.Name())
		if !e.IsDir() {
			rest = append(rest, []byte(e.Name()))
			if isBuildFile(e.Name()) {
				data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
				if err != nil {
					return nil, err
				}
				rest = append(rest, data)
			}
			continue
		}
		if errs[i] != nil {
			return nil, errs[i]
		}
		if !isProtocol[i] {
			rest = append(append(rest, []byte(rel)), inputs[i]...)
			continue
		}
		units[rel] = cache.Hash([]byte(commonKey), []byte(hashes[i]))
	}
	// A protocol's BUILD file depends on protocols/BUILD.bazel's
	// directives too; the rest's key is folded into each.
	restKey := cache.Hash(rest...)
	units[restUnit] = restKey
	for unit, key := range units {
		if unit != restUnit {
			units[unit] = cache.Hash([]byte(key), []byte(restKey))
		}
	}
	return units, nil
}

// readByForge are the files of a protocol directory whose content forge's
// generator reads.
var readByForge = map[string]bool{
	metadata.VersionFile: true, metadata.TargetsFile: true, metadata.ManifestFile: true,
	metadata.ServiceFile: true, metadata.RunnerFile: true, metadata.ReadmeFile: true,
	debian.DropInFile: true,
}

// dirInputs returns the names of every file and directory under rel, with
// the content of the files forge reads and of every BUILD file.
func dirInputs(root, rel string) ([][]byte, error) {
	var out [][]byte
	base := filepath.Join(root, filepath.FromSlash(rel))
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(base, p)
		name = filepath.ToSlash(name)
		out = append(out, []byte(name))
		if d.IsDir() {
			return nil
		}
		if isBuildFile(d.Name()) || (readByForge[d.Name()] && !strings.Contains(name, "/")) {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, data)
		}
		return nil
	})
	return out, err
}

func isBuildFile(name string) bool {
	for _, n := range spec.BuildFileNames {
		if name == n {
			return true
		}
	}
	return false
}
