package loadcheck

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"go.starlark.net/syntax"

	"github.com/protocol-forge/protocol-forge/tools/internal/cache"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// record is what evaluating one file found: its problems, the labels to
// resolve, its counts, what else of the tree it looked at (deps, with what
// it saw) and the .bzl files it loaded (mods, by label; each has a record
// of its own). A package's or .bzl file's record is whole only with those
// of the modules it loads, which is how the cache checks and replays it.
type record struct {
	errs  []*metadata.Error
	refs  []*labelRef
	stats Stats
	deps  map[dep]string
	mods  []string
}

// dep is one thing an evaluation looked at besides its own file.
type dep struct {
	kind        byte
	path, extra string
}

// Kinds of deps and what they record.
const (
	depStat    byte = 'f' // os.Stat of a file: "-" (none), "d" or "f"
	depPackage byte = 'p' // whether a directory is a package: "0" or "1"
	depGlob    byte = 'g' // a glob in a package (extra: its arguments): a hash of its matches
)

func boolResult(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// note records in the record being made that looking at (kind, p, extra)
// gave result; outside any evaluation there is nothing to note.
func (c *checker) note(kind byte, p, extra, result string) {
	if len(c.stack) == 0 {
		return
	}
	r := c.top()
	if r.deps == nil {
		r.deps = map[dep]string{}
	}
	r.deps[dep{kind, p, extra}] = result
}

// stat is os.Stat of a repository file (absolute name) as a dep result,
// memoized for the run and noted.
func (c *checker) stat(file string) string {
	res, ok := c.stats0[file]
	if !ok {
		res = "-"
		if listing, listed := c.listings[filepath.Dir(file)]; listed && listing[filepath.Base(file)] != "?" {
			if res = listing[filepath.Base(file)]; res == "" {
				res = "-"
			}
		} else if fi, err := os.Stat(file); err == nil {
			res = "f"
			if fi.IsDir() {
				res = "d"
			}
		}
		c.stats0[file] = res
	}
	c.note(depStat, c.rel(file), "", res)
	return res
}

// holds says whether d still gives result.
func (c *checker) holds(d dep, result string) bool {
	switch d.kind {
	case depStat:
		saved := c.stack
		c.stack = nil // checking is not evaluating: nothing to note
		defer func() { c.stack = saved }()
		return c.stat(filepath.Join(c.root, filepath.FromSlash(d.path))) == result
	case depPackage:
		return boolResult(c.pkgAt(d.path) != nil) == result
	case depGlob:
		inc, exc, dirs := decodeGlob(d.extra)
		files, err := c.globFiles(d.path, inc, exc, dirs)
		return err == nil && hashStrings(files) == result
	}
	return false
}

func hashStrings(ss []string) string {
	h := sha256.New()
	for _, s := range ss {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func encodeGlob(includes, excludes []string, excludeDirs int) string {
	return strings.Join(includes, "\x00") + "\x01" + strings.Join(excludes, "\x00") + "\x01" + boolResult(excludeDirs != 0)
}

func decodeGlob(s string) (includes, excludes []string, excludeDirs int) {
	parts := strings.SplitN(s, "\x01", 3)
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "\x00")
	}
	if len(parts) == 3 {
		includes, excludes = split(parts[0]), split(parts[1])
		if parts[2] == "1" {
			excludeDirs = 1
		}
	}
	return includes, excludes, excludeDirs
}

// modHash is the content hash of the .bzl file of module key
// ("//pkg:name.bzl"), "" when it cannot be read; memoized for the run.
func (c *checker) modHash(key string) string {
	if h, ok := c.modHashes[key]; ok {
		return h
	}
	pkg, name, _ := strings.Cut(strings.TrimPrefix(key, "//"), ":")
	data, err := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(pkg), filepath.FromSlash(name)))
	h := ""
	if err == nil {
		h = cache.Hash(data)
	}
	c.modHashes[key] = h
	return h
}

// ensure evaluates package p once, or takes what evaluating it found from
// the cache when nothing it depends on changed.
func (c *checker) ensure(p *pkgInfo) {
	if p.done {
		return
	}
	p.done = true
	if c.cache != nil && p.key != "" && c.cache.replay(c, p, p.key) {
		return
	}
	src, err := os.ReadFile(p.file)
	if err != nil {
		p.rec = &record{}
		c.push(p.rec)
		c.errorf(syntax.MakePosition(c.intern(p.file), 1, 1), "%v", err)
		c.pop()
		p.failed = true
		return
	}
	key := ""
	if c.cache != nil {
		key = packageKey(p, src)
		if key != p.key && c.cache.replay(c, p, key) {
			return
		}
	}
	c.evalPackage(p, src)
	if c.cache != nil {
		c.cache.keep(c, p, key)
	}
}

// packageKey is the cache key of a package: its path, its BUILD file's
// name and content.
func packageKey(p *pkgInfo, src []byte) string {
	return cache.Hash([]byte(p.path), []byte(filepath.Base(p.file)), src)
}

// prefetchKeys computes the cache keys of pkgs in parallel, reading their
// BUILD files being mostly system calls; a file that cannot be read gets
// no key, and ensure reports it.
func prefetchKeys(pkgs []*pkgInfo) {
	work := make(chan *pkgInfo)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if src, err := os.ReadFile(p.file); err == nil {
					p.key = packageKey(p, src)
				}
			}
		}()
	}
	for _, p := range pkgs {
		work <- p
	}
	close(work)
	wg.Wait()
}

// intern returns one pointer per file name, as positions want.
func (c *checker) intern(file string) *string {
	if p, ok := c.files[file]; ok {
		return p
	}
	p := &file
	c.files[file] = p
	return p
}

// modRecords returns the records of the modules that p's record loads,
// transitively, each once, in a stable order.
func (c *checker) modRecords(r *record, seen map[string]bool, out []*record) []*record {
	for _, key := range r.mods {
		if seen[key] {
			continue
		}
		seen[key] = true
		if m := c.modRecs[key]; m != nil {
			out = append(out, m)
			out = c.modRecords(m, seen, out)
		}
	}
	return out
}

// records returns every record the run made or replayed: live, each
// package's, each module's once.
func (c *checker) records() []*record {
	out := []*record{&c.live}
	seen := map[string]bool{}
	for _, p := range c.evaluated() {
		out = append(out, p.rec)
		out = c.modRecords(p.rec, seen, out)
	}
	return out
}

// evaluated returns the packages evaluated or replayed, by path.
func (c *checker) evaluated() []*pkgInfo {
	var out []*pkgInfo
	for _, p := range c.packages {
		if p != nil && p.done && p.rec != nil {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

func (c *checker) total() Stats {
	var s Stats
	for _, r := range c.records() {
		s.Files += r.stats.Files
		s.RuleCalls += r.stats.RuleCalls
		s.Attributes += r.stats.Attributes
		s.Labels += r.stats.Labels
		s.GoPackages += r.stats.GoPackages
		s.GoUnverified += r.stats.GoUnverified
	}
	return s
}

// allErrors returns every problem found, each once.
func (c *checker) allErrors() metadata.ErrorList {
	var out metadata.ErrorList
	seen := map[metadata.Error]bool{}
	for _, r := range c.records() {
		for _, e := range r.errs {
			if !seen[*e] {
				seen[*e] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// envKey hashes what every evaluation depends on: this program (its code
// and the facts it embeds), .bazelversion, and MODULE.bazel with what it
// reads. A store made under another key is not used.
func (c *checker) envKey(bazelVersion []byte) string {
	exe, err := cache.Executable()
	if err != nil {
		return ""
	}
	parts := [][]byte{[]byte(exe), bazelVersion}
	for _, f := range append([]string{"MODULE.bazel", ".bazelrc", ".bazelignore"}, c.envFiles...) {
		data, _ := os.ReadFile(filepath.Join(c.root, filepath.FromSlash(f)))
		parts = append(parts, []byte(f), data)
	}
	return cache.Hash(parts...)
}

// The store, as gob encodes it: per package the key of its BUILD file and
// what evaluating it found, per module (by label) likewise.
type storeData struct {
	Env  string
	Pkgs map[string]*cachedPackage
	Mods map[string]*cachedModule
}

type cachedPackage struct {
	Key        string
	Rec        cachedRecord
	Targets    []cachedTarget
	DefaultVis []string
	HasDefault bool
	RuleSeen   bool
	Failed     bool
}

type cachedModule struct {
	Hash string
	Rec  cachedRecord
}

type cachedRecord struct {
	Errs  []metadata.Error
	Refs  []cachedRef
	Stats Stats
	Deps  []cachedDep
	Mods  []string
}

// cachedRef is a labelRef; From, Vis and File are left empty when they
// are the owning package and its file, which they mostly are.
type cachedRef struct {
	Label, From, Vis, File, Attr string
	Line, Col                    int32
	Visibility, NoVis            bool
}

type cachedDep struct {
	Kind                byte
	Path, Extra, Result string
}

type cachedTarget struct {
	Name, Kind, Rule   string
	Vis                []string
	HasVis             bool
	Packages, Includes []string
}

// store is the cache of one run: what it read and what it keeps.
type store struct {
	dir, root string
	old       storeData
	new       storeData
	changed   bool
}

func openStore(dir, root, env string) *store {
	s := &store{dir: dir, root: root}
	s.new = storeData{Env: env, Pkgs: map[string]*cachedPackage{}, Mods: map[string]*cachedModule{}}
	if env == "" {
		return nil
	}
	if !cache.Load(dir, root, &s.old) || s.old.Env != env {
		s.old = storeData{}
		s.changed = true
	}
	return s
}

// save writes the store when the run made anything new, or dropped
// packages that are gone.
func (s *store) save(c *checker) {
	if !s.changed && len(s.new.Pkgs) == len(s.old.Pkgs) {
		return
	}
	// Modules are kept when a kept package uses them.
	used := map[string]bool{}
	var mark func(keys []string)
	mark = func(keys []string) {
		for _, k := range keys {
			if m := s.new.Mods[k]; m != nil && !used[k] {
				used[k] = true
				mark(m.Rec.Mods)
			}
		}
	}
	for _, p := range s.new.Pkgs {
		mark(p.Rec.Mods)
	}
	for k := range s.new.Mods {
		if !used[k] {
			delete(s.new.Mods, k)
		}
	}
	_ = cache.Save(s.dir, s.root, &s.new)
}

// replay takes p's evaluation from the store when its key matches and
// every dep of it and of the modules it loads still holds.
func (s *store) replay(c *checker, p *pkgInfo, key string) bool {
	cp := s.old.Pkgs[p.path]
	if cp == nil || cp.Key != key {
		return false
	}
	for _, d := range cp.Rec.Deps {
		if !c.holds(dep{d.Kind, d.Path, d.Extra}, d.Result) {
			return false
		}
	}
	for _, m := range cp.Rec.Mods {
		if !s.validModule(c, m, map[string]bool{}) {
			return false
		}
	}
	p.rec = s.decodeRecord(c, &cp.Rec, p.path, p.file)
	p.defaultVis, p.hasDefault, p.ruleSeen, p.failed = cp.DefaultVis, cp.HasDefault, cp.RuleSeen, cp.Failed
	for _, t := range cp.Targets {
		p.targets[t.Name] = &target{name: t.Name, kind: t.Kind, vis: t.Vis, hasVis: t.HasVis, packages: t.Packages, includes: t.Includes}
	}
	for _, t := range cp.Targets {
		if t.Rule != "" {
			p.targets[t.Name].rule = p.targets[t.Rule]
		}
	}
	s.new.Pkgs[p.path] = cp
	c.replayed++
	return true
}

// validModule says whether module key's stored record can stand for it,
// and makes it the run's record of the module when the run has none.
func (s *store) validModule(c *checker, key string, visiting map[string]bool) bool {
	if v, ok := c.modValid[key]; ok {
		return v
	}
	if visiting[key] {
		return true // a cycle: its own error is in the record
	}
	visiting[key] = true
	ok := false
	if cm := s.old.Mods[key]; cm != nil && cm.Hash != "" && cm.Hash == c.modHash(key) {
		ok = true
		for _, d := range cm.Rec.Deps {
			if !c.holds(dep{d.Kind, d.Path, d.Extra}, d.Result) {
				ok = false
				break
			}
		}
		for _, m := range cm.Rec.Mods {
			if ok && !s.validModule(c, m, visiting) {
				ok = false
			}
		}
		if ok {
			if c.modRecs[key] == nil {
				pkg, name, _ := strings.Cut(strings.TrimPrefix(key, "//"), ":")
				c.modRecs[key] = s.decodeRecord(c, &cm.Rec, pkg, filepath.Join(c.root, filepath.FromSlash(pkg), filepath.FromSlash(name)))
			}
			s.new.Mods[key] = cm
		}
	}
	c.modValid[key] = ok
	return ok
}

func (s *store) decodeRecord(c *checker, cr *cachedRecord, pkg, file string) *record {
	r := &record{stats: cr.Stats, mods: cr.Mods}
	for i := range cr.Errs {
		e := cr.Errs[i]
		r.errs = append(r.errs, &e)
	}
	for _, cf := range cr.Refs {
		ref := &labelRef{label: cf.Label, fromPkg: pkg, visPkg: pkg, attr: cf.Attr, visibility: cf.Visibility}
		if cf.From != "" {
			ref.fromPkg = strings.TrimPrefix(cf.From, "/")
		}
		if cf.NoVis {
			ref.visPkg = ""
		} else if cf.Vis != "" {
			ref.visPkg = strings.TrimPrefix(cf.Vis, "/")
		}
		f := file
		if cf.File != "" {
			f = filepath.Join(c.root, filepath.FromSlash(cf.File))
		}
		ref.pos = syntax.MakePosition(c.intern(f), cf.Line, cf.Col)
		r.refs = append(r.refs, ref)
	}
	return r
}

// encodeRecord is decodeRecord's inverse. Package paths are written with
// a leading "/" so that the root package "" differs from "not given".
func (s *store) encodeRecord(c *checker, r *record, pkg, file string) cachedRecord {
	cr := cachedRecord{Stats: r.stats, Mods: r.mods}
	for _, e := range r.errs {
		cr.Errs = append(cr.Errs, *e)
	}
	for _, ref := range r.refs {
		cf := cachedRef{Label: ref.label, Attr: ref.attr, Visibility: ref.visibility, Line: ref.pos.Line, Col: ref.pos.Col}
		if ref.fromPkg != pkg {
			cf.From = "/" + ref.fromPkg
		}
		switch {
		case ref.visPkg == "" && pkg != "":
			cf.NoVis = true
		case ref.visPkg != pkg:
			cf.Vis = "/" + ref.visPkg
		}
		if ref.pos.Filename() != file {
			cf.File = c.rel(ref.pos.Filename())
		}
		cr.Refs = append(cr.Refs, cf)
	}
	keys := make([]dep, 0, len(r.deps))
	for d := range r.deps {
		keys = append(keys, d)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.kind != b.kind {
			return a.kind < b.kind
		}
		if a.path != b.path {
			return a.path < b.path
		}
		return a.extra < b.extra
	})
	for _, d := range keys {
		cr.Deps = append(cr.Deps, cachedDep{Kind: d.kind, Path: d.path, Extra: d.extra, Result: r.deps[d]})
	}
	return cr
}

// keep stores what evaluating p (and the modules it loaded for the first
// time) found.
func (s *store) keep(c *checker, p *pkgInfo, key string) {
	s.changed = true
	cp := &cachedPackage{
		Key: key, Rec: s.encodeRecord(c, p.rec, p.path, p.file),
		DefaultVis: p.defaultVis, HasDefault: p.hasDefault, RuleSeen: p.ruleSeen, Failed: p.failed,
	}
	for _, name := range sortedNames(p.targets) {
		t := p.targets[name]
		ct := cachedTarget{Name: t.name, Kind: t.kind, Vis: t.vis, HasVis: t.hasVis, Packages: t.packages, Includes: t.includes}
		if t.rule != nil {
			ct.Rule = t.rule.name
		}
		cp.Targets = append(cp.Targets, ct)
	}
	s.new.Pkgs[p.path] = cp
	for key, m := range c.bzls {
		if m == nil || m.rec == nil || s.new.Mods[key] != nil || m.loading {
			continue
		}
		s.new.Mods[key] = &cachedModule{Hash: m.hash, Rec: s.encodeRecord(c, m.rec, m.pkg, m.file)}
	}
}
