package closure

import (
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// goRepo is one go_repository rule that go_deps declares
// (internal/bzlmod/go_deps.bzl:771-814).
type goRepo struct {
	usage      *usage
	name       string
	importpath string
	version    string // with its "v", as go_repository gets it
	replace    string // the module path fetched instead, "" when none
	localPath  string // a local replacement's directory, absolute
	sum        string // "" when no go.sum has it
	directives []string
	generation string // auto, on, off or clean
	extraArgs  []string
	// patches are a module_override's, applied after gazelle ran
	// (go_repository.bzl:417-418), in order.
	patches []patchFile
}

// fetchPath is the module go_repository downloads (go_repository.bzl:227).
func (r *goRepo) fetchPath() string {
	if r.replace != "" {
		return r.replace
	}
	return r.importpath
}

// goModSource is one go.mod a Bazel module's go_deps usage reads.
type goModSource struct {
	label string // for messages
	dir   string // go_mod_dir: the label's package
	// data reads the go.mod; sums the go.sum beside it (and a go.work.sum).
	data func() ([]byte, error)
	sums [][]byte
}

// depModule is one Bazel module taking part in a usage: the root module,
// or a bazel_dep whose own MODULE.bazel uses go_deps.
type depModule struct {
	name   string
	isRoot bool
	goMods []goModSource
}

// goDepsOfBazelDeps are the bazel_deps whose MODULE.bazel uses go_deps
// without isolation and not as a dev dependency, by Bazel module name, with
// the packages of the go.mod files that usage reads. Their requirements
// join the root usage's version selection and repo config, and the Go
// modules they contain are provided by them rather than by a go_repository
// (go_deps.bzl:407-612, 654-728). The files are kept in facts/ as
// NAME@VERSION[.DIR].go.mod and .go.sum, copied from the module's release,
// so the check needs no download to resolve versions. Any other bazel_dep
// is taken not to use go_deps.
var goDepsOfBazelDeps = map[string][]string{
	// rules_go MODULE.bazel:57-58 (v0.64.2): go_deps.from_file(go_mod = "//:go.mod").
	"rules_go": {""},
	// gazelle MODULE.bazel:33-34 (v0.53.0): go_deps.from_file(go_work =
	// "//:go.work"), whose go.work uses "." and "./v2".
	"gazelle": {"", "v2"},
}

//go:embed facts
var facts embed.FS

// factsGoMods returns the go.mod files of a bazel_dep's go_deps usage.
func factsGoMods(name, version string) ([]goModSource, error) {
	var out []goModSource
	for _, dir := range goDepsOfBazelDeps[name] {
		base := "facts/" + name + "@" + version
		if dir != "" {
			base += "." + strings.ReplaceAll(dir, "/", ".")
		}
		if _, err := fs.Stat(facts, base+".go.mod"); err != nil {
			return nil, fmt.Errorf("%s %s uses go_deps, and tools/closure/%s.go.mod, a copy of the go.mod it reads, does not exist: copy it (and its go.sum) from the release", name, version, base)
		}
		gm := goModSource{
			label: fmt.Sprintf("@%s+//%s:go.mod", name, dir),
			dir:   dir,
			data:  func() ([]byte, error) { return facts.ReadFile(base + ".go.mod") },
		}
		for _, sum := range []string{base + ".go.sum", "facts/" + name + "@" + version + ".go.work.sum"} {
			if data, err := facts.ReadFile(sum); err == nil {
				gm.sums = append(gm.sums, data)
			}
		}
		out = append(out, gm)
	}
	return out, nil
}

// sharedRepos are created by the root usage only; isolated usages leave
// them out and see the root's through gazelle's own use_repo
// (go_deps.bzl:370-373, 757-762).
var sharedRepos = map[string]bool{
	"github.com/golang/protobuf": true,
	"google.golang.org/protobuf": true,
}

// extensionLeaves are repositories every go_deps usage creates besides the
// go_repository rules: the repo config (go_deps.bzl:860-883) and the
// rules_proto shim (go_deps.bzl:816-822). The walk does not enter them.
var extensionLeaves = map[string]bool{
	"bazel_gazelle_go_repository_config": true,
	"rules_proto":                        true,
}

type replacement struct {
	fromVersion string // "" matches any version
	toPath      string
	version     string // without "v"
	localPath   string
}

type resolution struct {
	path, repo string
	version    string // without "v"
	replace    string
	localPath  string
	// Set when a Bazel module provides the Go module.
	bazelModule, bazelRepo, goModDir string
}

type overrideTag struct {
	line       int
	attrs      map[string]any
	directives []string
}

// resolve computes what go_deps_impl declares for usage u
// (go_deps.bzl:375-896): the module versions, the go_repository rules with
// their gazelle settings, and the repo config's WORKSPACE.
func (m *module) resolve(root string, u *usage) {
	u.repos = map[string]*goRepo{}
	errf := func(line int, format string, args ...any) {
		m.errs = append(m.errs, &metadata.Error{Path: moduleFile, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	// Tags of the root module (go_deps.bzl:250-260, 429-431, 543-550): a
	// path may have one gazelle_override, and one module_override or
	// archive_override.
	gazelleOverrides := map[string]*overrideTag{}
	otherOverrides := map[string]int{} // module_override, archive_override: line
	var defaults *overrideTag
	repoNames := map[string]string{}
	patches := map[string][]patchFile{}
	var moduleTags []modTag
	for _, t := range u.tags {
		p := t.str("path")
		switch t.tag {
		case "gazelle_override":
			if gazelleOverrides[p] != nil {
				errf(t.line, "go_deps fails: multiple gazelle_overrides of Go module path %q (go_deps.bzl:126-128)", p)
				continue
			}
			o := &overrideTag{line: t.line, attrs: t.attrs, directives: t.list("directives")}
			for _, d := range o.directives {
				if !validDirective(d) {
					errf(t.line, "go_deps fails: invalid Gazelle directive %q: directives must be of the form \"gazelle:key value\" (go_deps.bzl:138-141)", d)
				}
			}
			if g, ok := t.attrs["build_file_generation"].(string); ok && !validGeneration[g] {
				errf(t.line, "build_file_generation %q is none of auto, on, off, clean", g)
			}
			gazelleOverrides[p] = o
		case "module_override", "archive_override":
			if _, dup := otherOverrides[p]; dup {
				errf(t.line, "go_deps fails: multiple module_override or archive_override tags for Go module path %q (go_deps.bzl:126-128, 257-258)", p)
				continue
			}
			otherOverrides[p] = t.line
			if t.tag == "archive_override" {
				errf(t.line, "archive_override of %s: this check reads modules from the Go module cache and does not follow archives", p)
				continue
			}
			if n := t.str("repo_name"); n != "" {
				repoNames[p] = n
			}
			if len(t.list("patch_cmds")) > 0 {
				errf(t.line, "module_override of %s: patch_cmds run shell commands in the repository, which this check does not do", p)
			}
			strip, _ := t.attrs["patch_strip"].(int)
			for _, l := range t.list("patches") {
				pf, err := m.readPatch(l, strip, t.line)
				if err != nil {
					errf(t.line, "module_override of %s: %v", p, err)
					continue
				}
				patches[p] = append(patches[p], pf)
			}
		case "gazelle_default_attributes":
			defaults = &overrideTag{line: t.line, attrs: t.attrs, directives: t.list("directives")}
		case "module":
			moduleTags = append(moduleTags, modTag{path: p, version: strings.TrimPrefix(t.str("version"), "v"), sum: t.str("sum")})
		}
	}
	if len(u.fromFile) > 1 {
		errf(u.fromFile[1].line, "go_deps fails: multiple go_deps.from_file tags in %s (go_deps.bzl:433-439)", u.describe())
	}

	// The Bazel modules whose tags this usage sees.
	mods := []*depModule{{name: m.name, isRoot: true}}
	for _, t := range u.fromFile[:min(1, len(u.fromFile))] {
		if t.str("go_work") != "" {
			errf(t.line, "go_deps.from_file(go_work = ...): this check reads go.mod files only")
			continue
		}
		rel, err := goModPath(t.str("go_mod"))
		if err != nil {
			errf(t.line, "%v", err)
			continue
		}
		dir := path.Dir(rel)
		if dir == "." {
			dir = ""
		}
		gm := goModSource{label: t.str("go_mod"), dir: dir, data: func() ([]byte, error) { return m.ours.read(rel) }}
		if data, err := m.ours.read(path.Join(dir, "go.sum")); err == nil {
			gm.sums = append(gm.sums, data)
		}
		mods[0].goMods = append(mods[0].goMods, gm)
	}
	if !u.isolated {
		for _, apparent := range slices.Sorted(maps.Keys(m.deps)) {
			d := m.deps[apparent]
			if _, ok := goDepsOfBazelDeps[d.name]; !ok {
				continue
			}
			if d.name == "gazelle" && d.version != GazelleVersion {
				errf(d.line, "gazelle %s: the external closure check runs gazelle %s's code (go.mod pins it), so it would not generate what this gazelle does; pin the same version in both", d.version, GazelleVersion)
			}
			gms, err := factsGoMods(d.name, d.version)
			if err != nil {
				errf(d.line, "%v", err)
				continue
			}
			mods = append(mods, &depModule{name: d.name, goMods: gms})
		}
	}

	resolutions := map[string]*resolution{}
	replaces := map[string]replacement{}
	sums := map[[2]string]string{}
	type provided struct {
		module, repo, dir string
		isRoot            bool
	}
	bazelGoModules := map[string]provided{}
	for _, dm := range mods {
		var tags []modTag
		if dm.isRoot {
			tags = append(tags, moduleTags...)
			for _, s := range moduleTags {
				if s.sum != "" {
					sums[[2]string{s.path, s.version}] = s.sum
				}
			}
		}
		for _, gm := range dm.goMods {
			data, err := gm.data()
			if err != nil {
				errf(u.line, "go_deps reads %s: %v", gm.label, err)
				continue
			}
			f, err := modfile.Parse(gm.label, data, nil)
			if err != nil {
				errf(u.line, "go_deps reads %s: %v", gm.label, err)
				continue
			}
			if f.Module == nil {
				errf(u.line, "go_deps fails: %s has no module directive", gm.label)
				continue
			}
			modPath := f.Module.Mod.Path
			for _, r := range f.Require {
				tags = append(tags, modTag{path: r.Mod.Path, version: strings.TrimPrefix(r.Mod.Version, "v")})
			}
			if dm.isRoot || u.isolated {
				// go_mod.bzl:296-336; the first replacement of a path wins
				// (go_deps.bzl:501-505).
				for _, r := range f.Replace {
					if _, seen := replaces[r.Old.Path]; seen {
						continue
					}
					rep := replacement{fromVersion: strings.TrimPrefix(r.Old.Version, "v"), toPath: r.New.Path, version: strings.TrimPrefix(r.New.Version, "v")}
					if r.New.Version == "" {
						rep.toPath = r.Old.Path
						rep.localPath = filepath.Join(root, filepath.FromSlash(gm.dir), filepath.FromSlash(r.New.Path))
						rep.version = ""
					}
					replaces[r.Old.Path] = rep
				}
				bazelGoModules[modPath] = provided{module: m.name, repo: "@" + m.name, dir: gm.dir, isRoot: true}
			} else if prev, ok := bazelGoModules[modPath]; !ok || !prev.isRoot {
				// A bazel_dep's repository is named by its canonical name,
				// "<module>+" in Bazel 8 (go_deps.bzl:526-536).
				bazelGoModules[modPath] = provided{module: dm.name, repo: "@" + dm.name + "+", dir: gm.dir}
			}
			if len(f.Require) > 0 {
				for _, data := range gm.sums {
					readSums(data, sums)
				}
			}
		}
		// Minimum version selection over every module's tags
		// (go_deps.bzl:563-612).
		for _, t := range tags {
			prev := resolutions[t.path]
			if prev != nil && compareVersions(t.version, prev.version) <= 0 {
				continue
			}
			r := &resolution{path: t.path, repo: repoName(t.path, repoNames), version: t.version}
			if rep, ok := replaces[t.path]; ok {
				r.localPath = rep.localPath
			}
			resolutions[t.path] = r
		}
	}
	for _, p := range slices.Sorted(maps.Keys(gazelleOverrides)) {
		if resolutions[p] == nil {
			errf(gazelleOverrides[p].line, "go_deps fails: gazelle_override of %s targets no Go module of %s (go_deps.bzl:130-136)", p, u.describe())
		}
	}
	for _, p := range slices.Sorted(maps.Keys(otherOverrides)) {
		if resolutions[p] == nil {
			errf(otherOverrides[p], "go_deps fails: the override of %s targets no Go module of %s (go_deps.bzl:130-136)", p, u.describe())
		}
	}

	// Replacements apply after version selection (go_deps.bzl:630-652).
	for p, rep := range replaces {
		r := resolutions[p]
		if r == nil || rep.fromVersion != "" && r.version != rep.fromVersion {
			continue
		}
		r.replace, r.version, r.localPath = rep.toPath, rep.version, rep.localPath
	}
	// Go modules that Bazel modules provide (go_deps.bzl:654-728).
	for p, b := range bazelGoModules {
		if _, ok := otherOverrides[p]; ok || gazelleOverrides[p] != nil {
			continue
		}
		if _, ok := replaces[p]; ok {
			continue
		}
		resolutions[p] = &resolution{path: p, repo: b.repo, bazelModule: b.module, bazelRepo: b.repo, goModDir: b.dir}
	}

	byRepo := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(resolutions)) {
		r := resolutions[p]
		if r.bazelModule != "" || u.isolated && sharedRepos[p] {
			continue
		}
		if prev, ok := byRepo[r.repo]; ok {
			errf(u.line, "go_deps fails: Go modules %s and %s resolve to the same repository name %s (go_deps.bzl:763-768)", prev, p, r.repo)
			continue
		}
		byRepo[r.repo] = p
		g := &goRepo{
			usage:      u,
			name:       r.repo,
			importpath: p,
			directives: overrideOrDefault(gazelleOverrides, defaults, defaultDirectives, p, []string(nil), "directives"),
			generation: overrideOrDefault(gazelleOverrides, defaults, defaultBuildFileGeneration, p, "auto", "build_file_generation"),
			extraArgs:  overrideOrDefault(gazelleOverrides, defaults, defaultBuildExtraArgs, p, []string(nil), "build_extra_args"),
			patches:    patches[p],
		}
		if r.localPath != "" {
			g.localPath = r.localPath
		} else {
			g.version, g.replace = "v"+r.version, r.replace
			key := [2]string{p, r.version}
			if r.replace != "" {
				key[0] = r.replace
			}
			g.sum = sums[key]
		}
		u.repos[g.name] = g
	}
	u.repoConfig = repoConfig(resolutions, gazelleOverrides, defaults)
}

type modTag struct {
	path, version, sum string
}

var validGeneration = map[string]bool{"auto": true, "on": true, "off": true, "clean": true}

// tagDefaults are the defaults of gazelle_override's and
// gazelle_default_attributes' attributes (go_deps.bzl:53-92): a tag that is
// present applies all of them, so an override that sets only directives
// turns build_file_generation "on".
var tagDefaults = map[string]any{
	"build_file_generation": "on",
	"build_extra_args":      []string(nil),
	"directives":            []string(nil),
}

// overrideOrDefault is _get_override_or_default (go_deps.bzl:143-168): the
// module's own gazelle_override, else a non-empty gazelle_default_attributes
// value, else gazelle's default for the path, else the default.
func overrideOrDefault[T string | []string](overrides map[string]*overrideTag, defaults *overrideTag, byPath map[string]T, p string, def T, attr string) T {
	value := func(o *overrideTag) (T, bool) {
		v, ok := o.attrs[attr]
		if !ok {
			v = tagDefaults[attr]
		}
		t, ok := v.(T)
		return t, ok
	}
	if o := overrides[p]; o != nil {
		if v, ok := value(o); ok {
			return v
		}
		var zero T
		return zero
	}
	if defaults != nil {
		if v, ok := value(defaults); ok && len(v) > 0 {
			return v
		}
	}
	if v, ok := byPath[p]; ok && len(v) > 0 {
		return v
	}
	return def
}

// validDirective is _check_directive (go_deps.bzl:138-141).
func validDirective(d string) bool {
	rest, ok := strings.CutPrefix(d, "gazelle:")
	return ok && strings.Contains(d, " ") && rest != "" && !unicode.IsSpace(rune(rest[0]))
}

// repoName is get_repo_name (go_deps.bzl:190-207): a module_override's
// repo_name, else _repo_name, which gosource.RepoName implements.
func repoName(importpath string, overrides map[string]string) string {
	if n := overrides[importpath]; n != "" {
		return n
	}
	return gosource.RepoName(importpath)
}

// repoConfig is the WORKSPACE of go_repository_config
// (internal/bzlmod/go_repository_config.bzl:20-31, with format_rule_call of
// utils.bzl:38-58), which gazelle reads with -repo_config: every resolved
// module not in a subdirectory of a Bazel module (go_deps.bzl:860-880).
func repoConfig(resolutions map[string]*resolution, overrides map[string]*overrideTag, defaults *overrideTag) string {
	type entry struct{ name, importpath, moduleName, convention string }
	var entries []entry
	for _, p := range slices.Sorted(maps.Keys(resolutions)) {
		r := resolutions[p]
		if r.goModDir != "" {
			continue
		}
		e := entry{name: r.repo, importpath: p, moduleName: r.bazelModule}
		e.convention = directiveValue(overrideOrDefault(overrides, defaults, defaultDirectives, p, []string(nil), "directives"), "go_naming_convention")
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	calls := make([]string, len(entries))
	for i, e := range entries {
		lines := []string{"go_repository(", "    name = " + strconv.Quote(e.name) + ","}
		if e.convention != "" {
			lines = append(lines, "    build_naming_convention = "+strconv.Quote(e.convention)+",")
		}
		lines = append(lines, "    importpath = "+strconv.Quote(e.importpath)+",")
		if e.moduleName != "" {
			lines = append(lines, "    module_name = "+strconv.Quote(e.moduleName)+",")
		}
		calls[i] = strings.Join(append(lines, ")"), "\n")
	}
	return strings.Join(calls, "\n")
}

// directiveValue is get_directive_value (utils.bzl:78-97): the last value
// of "gazelle:key".
func directiveValue(directives []string, key string) string {
	value := ""
	for _, d := range directives {
		if rest, ok := strings.CutPrefix(d, "gazelle:"+key+" "); ok {
			value = strings.TrimLeft(rest, " \t")
		}
	}
	return value
}

// readSums adds a go.sum's module hashes to sums (go_mod.bzl:463-486).
func readSums(data []byte, sums map[[2]string]string) {
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || strings.HasSuffix(f[1], "/go.mod") {
			continue
		}
		key := [2]string{f[0], strings.TrimPrefix(f[1], "v")}
		if _, ok := sums[key]; !ok {
			sums[key] = f[2]
		}
	}
}

// compareVersions compares two versions without their "v".
func compareVersions(a, b string) int {
	return semver.Compare("v"+a, "v"+b)
}
