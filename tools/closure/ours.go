package closure

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// BuildFiles holds BUILD files of the main repository that the caller has
// parsed already (loadcheck parses ours with parseFile's parser and
// options), for the walk to take instead of reading and parsing them once
// more. Safe for concurrent use; the zero value is empty.
type BuildFiles struct {
	mu    sync.Mutex
	files map[string]*parsedFile // by package
}

type parsedFile struct {
	file string // as given to the parser: root joined with the package and name
	hash string // contentHash of what was parsed
	// tree is nil when the file has no rule the walk starts from: it is
	// not kept, and the walk skips the package (see mainRepo.buildFile).
	tree *syntax.File
}

// Add records that file, the BUILD file of package pkg (slash-separated,
// relative to the root), with content src, parsed to f.
func (b *BuildFiles) Add(pkg, file string, src []byte, f *syntax.File) {
	p := &parsedFile{file: file, hash: contentHash(src, nil)}
	if startsWalk(f) {
		p.tree = f
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.files == nil {
		b.files = map[string]*parsedFile{}
	}
	b.files[pkg] = p
}

func (b *BuildFiles) get(pkg string) *parsedFile {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.files[pkg]
}

// startsWalk says whether a BUILD file has a top-level call of a rule kind
// the walk starts from.
func startsWalk(f *syntax.File) bool {
	for _, stmt := range f.Stmts {
		if s, ok := stmt.(*syntax.ExprStmt); ok {
			if call, ok := s.X.(*syntax.CallExpr); ok && roots[callee(call)] {
				return true
			}
		}
	}
	return false
}

// mayStartWalk says whether a BUILD file's content can hold a rule the walk
// starts from: the walk knows a rule's kind by the name it is called with
// (callee), so a file that nowhere spells one of those names has none.
// Skipping such a file without parsing it is safe because the walk only
// starts from rules; if a label of another package reaches into it, the
// walk loads it then (walker.pkg), and its content is in the result's
// dependencies either way, so that adding a Go rule to it invalidates a
// kept result.
func mayStartWalk(src []byte) bool {
	for kind := range roots {
		if bytes.Contains(src, []byte(kind)) {
			return true
		}
	}
	return false
}

// mainRepo reads the main repository for a run, and notes every thing it
// read with what it found: the result cache's dependencies (results.go).
type mainRepo struct {
	root     string
	packages []string // Options.Packages
	parsed   *BuildFiles
	deps     map[dep]string
}

// dep is one thing read from the main repository (or a local replacement
// of a Go module).
type dep struct {
	Kind byte
	Path string
}

// Kinds of deps, and what they record.
const (
	depContent = 'c' // a file (relative to the root): contentHash of it
	depIsFile  = 'f' // whether a path is a regular file: "1" or "0"
	depSubdirs = 'd' // a directory's subdirectories, one level: a hash of their names
	depTools   = 'r' // the directories under tools/, testdata left out: a hash of their paths
	depTree    = 't' // a local replacement's directory (absolute): treeStamp of it
	// Every go.mod and go.sum at the root and in a protocol directory:
	// goModules.
	depGoModules = 'g'
)

func newMainRepo(root string, opts Options) *mainRepo {
	m := &mainRepo{root: root, parsed: opts.Parsed, deps: map[dep]string{}}
	if opts.Packages != nil {
		m.packages = slices.Sorted(slices.Values(opts.Packages))
	}
	return m
}

func (m *mainRepo) abs(rel string) string {
	return filepath.Join(m.root, filepath.FromSlash(rel))
}

// contentHash identifies a file's content; "" stands for a file that could
// not be read.
func contentHash(data []byte, err error) string {
	if err != nil {
		return ""
	}
	return cache.Hash(data)
}

// read reads a file of the main repository.
func (m *mainRepo) read(rel string) ([]byte, error) {
	data, err := os.ReadFile(m.abs(rel))
	m.deps[dep{depContent, rel}] = contentHash(data, err)
	return data, err
}

// isFile says whether rel is a regular file (or a link to one).
func (m *mainRepo) isFile(rel string) bool {
	fi, err := os.Stat(m.abs(rel))
	is := err == nil && !fi.IsDir()
	m.deps[dep{depIsFile, rel}] = boolResult(is)
	return is
}

func boolResult(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// noteTree notes the state of a local replacement's directory, whose
// content no sum pins.
func (m *mainRepo) noteTree(dir string) {
	m.deps[dep{depTree, dir}] = treeStamp(dir)
}

// starts returns the packages the walk starts from: Options.Packages, or
// every directory under protocols/ (one level) and tools/ (testdata left
// out), in that order.
func (m *mainRepo) starts() ([]string, error) {
	if m.packages != nil {
		return m.packages, nil
	}
	protocols, err := subdirs(m.root, metadata.ProtocolsDir)
	if err != nil {
		return nil, err
	}
	m.deps[dep{depSubdirs, metadata.ProtocolsDir}] = hashLines(protocols)
	tools, err := toolsDirs(m.root)
	if err != nil {
		return nil, err
	}
	m.deps[dep{depTools, "tools"}] = hashLines(tools)
	return append(protocols, tools...), nil
}

// noteGoModules notes the go.mod and go.sum files at the root and in every
// protocol directory, which a go_deps usage may read (from_file), so that a
// change to any of them invalidates a kept result, whether or not this
// run's MODULE.bazel names it.
func (m *mainRepo) noteGoModules() error {
	h, err := goModules(m.root)
	m.deps[dep{depGoModules, ""}] = h
	return err
}

// goModules hashes the paths and content of the go.mod and go.sum files at
// root and in every protocol directory: one dep rather than two per
// protocol, most of them missing.
func goModules(root string) (string, error) {
	dirs, err := subdirs(root, metadata.ProtocolsDir)
	if err != nil {
		return "", err
	}
	var parts [][]byte
	for _, dir := range append([]string{""}, dirs...) {
		for _, name := range []string{"go.mod", "go.sum"} {
			rel := path.Join(dir, name)
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			parts = append(parts, []byte(rel), []byte(contentHash(data, err)))
		}
	}
	return cache.Hash(parts...), nil
}

// buildFile returns the name of package dir's BUILD file ("" when it has
// none) and its syntax tree, taken from Options.Parsed or read and parsed.
// Unless parse is set, a file that holds no rule the walk starts from
// (mayStartWalk, startsWalk) is not parsed and comes back without a tree.
func (m *mainRepo) buildFile(dir string, parse bool) (string, *syntax.File, error) {
	if known := m.parsed.get(dir); known != nil && filepath.Dir(known.file) == m.abs(dir) && (known.tree != nil || !parse) {
		name := filepath.Base(known.file)
		for _, n := range buildFileNames {
			if n == name {
				break
			}
			// The parser's caller found no earlier name (loadcheck looks
			// for them in the same order).
			m.deps[dep{depContent, path.Join(dir, n)}] = ""
		}
		m.deps[dep{depContent, path.Join(dir, name)}] = known.hash
		return name, known.tree, nil
	}
	for _, name := range buildFileNames {
		rel := path.Join(dir, name)
		data, err := m.read(rel)
		if missing(err) {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if !parse && !mayStartWalk(data) {
			return name, nil, nil
		}
		f, err := parseFile(rel, data)
		if err != nil {
			return "", nil, err
		}
		return name, f, nil
	}
	return "", nil, nil
}

// missing says whether an error reading a BUILD file means there is none
// (a directory of that name is none either).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR)
}

// holds says whether d, read in the main repository at root, still gives
// result.
func holds(root string, d dep, result string) bool {
	switch d.Kind {
	case depContent:
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(d.Path)))
		return contentHash(data, err) == result
	case depIsFile:
		fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(d.Path)))
		return boolResult(err == nil && !fi.IsDir()) == result
	case depSubdirs:
		dirs, err := subdirs(root, d.Path)
		return err == nil && hashLines(dirs) == result
	case depTools:
		dirs, err := toolsDirs(root)
		return err == nil && hashLines(dirs) == result
	case depTree:
		return treeStamp(d.Path) == result
	case depGoModules:
		h, err := goModules(root)
		return err == nil && h == result
	}
	return false
}

// subdirs lists the directories in dir (relative to root), as
// slash-separated paths relative to root; none when dir does not exist.
func subdirs(root, dir string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	return out, err
}

// toolsDirs lists tools/ and every directory under it but testdata.
func toolsDirs(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "tools"), func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return err
	})
	return out, err
}

func hashLines(lines []string) string {
	return cache.Hash([]byte(strings.Join(lines, "\n")))
}
