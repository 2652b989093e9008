// Package gosource finds, for each MANIFEST entry that rules_go builds from a
// module pinned in go.mod, the Go package, module version and cgo setting, so
// that plain `go build` can build exactly what Bazel builds and forge can
// tell when VERSION and go.mod drift apart.
package gosource

import (
	"bytes"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/bazel-gazelle/rule"
	"github.com/bazelbuild/buildtools/build"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Binary is one MANIFEST entry built from a pinned Go module.
type Binary struct {
	Protocol *spec.Protocol
	Entry    metadata.Entry
	// Package is the Go import path of the main package.
	Package string
	// Module and Version are the go.mod requirement that provides it (the
	// replacement's version when go.mod replaces the module).
	Module, Version string
	// Source is the module whose releases the binary follows: the
	// replacement when go.mod replaces Module, else Module.
	Source string
	// Dir is the directory, relative to the repository root, of the go.mod
	// that pins it: "" for the root module, the protocol's directory for a
	// protocol with a go.mod of its own.
	Dir string
	// Cgo is the CGO_ENABLED setting rules_go builds it with: on where
	// the source rule asks for cgo (CgoAttr) and, in a cgo protocol
	// (forge_cgo), whose platforms have cgo, unless pure is "on".
	Cgo bool
	// CgoAttr names the go_binary attribute that asks for cgo: pure
	// "off", or race or msan "on", which turn pure off (rules_go
	// go/private/rules/transition.bzl:94-103). On rules_go's linux_<arch>
	// platforms, which forge builds each platform's files on and which
	// carry cgo_off, such a binary has no C toolchain and rules_go fails
	// its analysis (go/private/context.bzl:656-658, go/private/mode.bzl:63-67,
	// v0.64.2): forge check refuses it outside a cgo protocol, whose
	// linux_<arch>_cgo platforms have MODULE.bazel's C toolchain.
	CgoAttr string
	// XDefs are the go_binary's x_defs: -X linker flags, such as the
	// version string a release build stamps.
	XDefs map[string]string
	// Install says the go command builds it as `go install
	// Package@Version`, with the module's own go.mod, rather than `go build`
	// in Dir (see Build).
	Install bool
	// LinkOpts are the go_binary's gc_linkopts, passed to the linker after
	// the -X flags (rules_go go/private/actions/link.bzl:214). A protocol
	// writes a -X here whose value has braces, which rules_go's link
	// builder would read as stamp keys in x_defs.
	LinkOpts []string
	// Static says the go_binary sets static "on": with cgo, rules_go
	// links it externally with -static (go/private/actions/link.bzl:
	// 100-123, v0.64.2), which Build does not do: forge check refuses it
	// in a cgo protocol.
	Static bool
	// Pinned names the attribute of the source rule that fixes the
	// platform it is built for (a go_cross_binary's platform, a
	// go_binary's goos or goarch), or is empty. Such a rule overrides the
	// platform transition forge builds each platform's files with, so
	// every platform would get the same binary: forge check refuses it.
	Pinned string
}

// StripFlags are the linker flags rules_go adds in Bazel's default
// configuration: --strip=sometimes with --compilation_mode=fastbuild makes
// go.mode.strip true (rules_go BUILD.bazel:114-118, v0.62.0, the newest tag
// read) and the link then passes -s -w (go/private/actions/link.bzl:176-177).
// .bazelrc sets neither flag, so the binaries we ship are stripped.
const StripFlags = "-s -w"

// LDFlags returns the -ldflags value rules_go links the binary with: the
// strip flags, -X for each of XDefs, then LinkOpts. An option with white
// space or quotes is quoted as the go command's flag parser reads it.
func (b Binary) LDFlags() string {
	keys := make([]string, 0, len(b.XDefs))
	for k := range b.XDefs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	flags := []string{StripFlags}
	for _, k := range keys {
		flags = append(flags, "-X", quoteFlag(k+"="+b.XDefs[k]))
	}
	for _, o := range b.LinkOpts {
		flags = append(flags, quoteFlag(o))
	}
	return strings.Join(flags, " ")
}

// quoteFlag quotes a word of -ldflags that the go command would otherwise
// split or unquote (cmd/internal/quoted.Split: white space separates, a
// leading ' or " quotes); other words stay as they are.
func quoteFlag(s string) string {
	if !strings.ContainsAny(s, " \t\n\r'\"") {
		return s
	}
	if !strings.Contains(s, "'") {
		return "'" + s + "'"
	}
	return `"` + s + `"`
}

// File is where a directory of built binaries holds b for platform pl:
// dir/<platform>/<protocol>/<basename>. The protocol build test and the
// acceptance test both lay their binaries out this way, so the second can
// take what the first built.
func (b Binary) File(dir string, pl platform.Platform) string {
	return filepath.Join(dir, pl.Name, b.Protocol.Name, b.Entry.Base())
}

// Build builds the binary into out with plain go from the module the
// go.mod in root/b.Dir pins: its package, CGO_ENABLED as rules_go sets it
// for the platform, and LDFlags. -trimpath keeps the build directory out of
// the binary, as rules_go does.
//
// rules_go records the upstream module, at its pinned version, as the main
// module in the binary's build information: the embedded library's or the
// go_binary's package metadata, which gazelle generates for every go_deps
// repository (rules_go go/private/context.bzl:295-297,403-406,
// go/tools/builders/buildinfo.go:166-206; gazelle
// internal/go_repository.bzl:424-431,451-470). `go build` records our
// module instead, and only `go install Package@Version` records the
// upstream one. A binary that reads its version from there (cosmovisor)
// is built that way when its protocol's go.mod replaces nothing, so that
// the module's own go.mod selects the same versions; Build checks that it
// did. `go install` asks the module's version list for deprecations, which
// the module proxy may refuse (403): the modules come from the module
// cache instead, served as a file proxy after `go mod download` in the
// protocol's directory has put them there, verified against its go.sum.
//
// pl is the platform to build for: GOOS and GOARCH, and for cgo on a host
// of another architecture Debian's cross compiler (platform.CrossCC). `go install` refuses
// GOBIN for a cross-compiled binary, so there GOPATH is the temporary
// directory (its bin/<goos>_<goarch>/ gets the binary) and GOMODCACHE
// stays where it is.
func (b Binary) Build(root, out string, pl platform.Platform) error {
	dir := filepath.Join(root, filepath.FromSlash(b.Dir))
	cgo := "0"
	if b.Cgo {
		cgo = "1"
	}
	args := []string{"build", "-trimpath", "-ldflags", b.LDFlags(), "-o", out, b.Package}
	bin := out
	env := append(os.Environ(), "CGO_ENABLED="+cgo, "GOOS="+pl.GOOS, "GOARCH="+pl.GOARCH)
	if b.Cgo && !pl.Native() {
		// The host's gcc compiles for the host only.
		env = append(env, "CC="+pl.CrossCC)
	}
	if b.Install {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		gobin, err := os.MkdirTemp(filepath.Dir(out), ".install-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(gobin)
		proxy, err := cachedModules(dir)
		if err != nil {
			return err
		}
		args = []string{"install", "-trimpath", "-ldflags", b.LDFlags(), b.Package + "@" + b.Version}
		bin = filepath.Join(gobin, path.Base(b.Package))
		env = append(env, "GOBIN="+gobin, "GOPROXY="+proxy, "GOSUMDB=off")
		if !pl.Native() {
			cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
			if err != nil {
				return fmt.Errorf("go env GOMODCACHE: %v", err)
			}
			bin = filepath.Join(gobin, "bin", pl.GOOS+"_"+pl.GOARCH, path.Base(b.Package))
			env = append(env, "GOBIN=", "GOPATH="+gobin, "GOMODCACHE="+strings.TrimSpace(string(cache)))
		}
	}
	if b.Cgo && !b.Install {
		modFile, work, err := withoutModuleRunPaths(dir, env, b.Package, filepath.Dir(out))
		if work != "" {
			defer os.RemoveAll(work)
		}
		if err != nil {
			return err
		}
		if modFile != "" {
			// Before the package: -modfile is a build flag.
			args = append(args[:len(args)-1:len(args)-1], "-modfile="+modFile, args[len(args)-1])
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = dir, env
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s %s (GOOS=%s GOARCH=%s CGO_ENABLED=%s, in %s): %v\n%s", args[0], b.Package, pl.GOOS, pl.GOARCH, cgo, cmd.Dir, err, msg)
	}
	if !b.Install {
		return nil
	}
	if err := pinnedDeps(bin, filepath.Join(dir, "go.mod")); err != nil {
		return fmt.Errorf("go install %s@%s: %v", b.Package, b.Version, err)
	}
	return os.Rename(bin, out)
}

// moduleRunPath is a "#cgo LDFLAGS" option that gives the binary a run
// path into a module's own source directory (CosmWasm's wasmvm:
// -Wl,-rpath,${SRCDIR}), where the go command keeps the module: its
// cache.
var moduleRunPath = regexp.MustCompile(`\s*-Wl,-rpath,\$\{SRCDIR\}\S*`)

// withoutModuleRunPaths builds what Bazel builds from a cgo package whose
// #cgo LDFLAGS give the binary a run path into the module: MODULE.bazel
// leaves such a file out of gazelle's package and links the library
// through a cc_import (protocols/osmosis/wasmvm.patch), so the binary
// finds the library where the MANIFEST ships it, by the go_binary's run
// path, and never in a module cache. For the go command, which refuses
// overlays of the module cache, each module with such a file (among the
// packages pkg links, as go list resolves them with env) is copied under
// tmp with the option dropped from its #cgo lines, -L and -l kept as
// cdeps passes them (rules_go go/private/rules/cgo.bzl:134-148), and a
// copy of dir's go.mod replaces the module's required version with the
// copy. It returns that go.mod for -modfile, or "" when no module has
// such an option, and the directory to remove afterwards.
func withoutModuleRunPaths(dir string, env []string, pkg, tmp string) (modFile, work string, err error) {
	list := exec.Command("go", "list", "-deps", "-json=ImportPath,Dir,Module,CgoFiles", pkg)
	list.Dir, list.Env = dir, env
	out, err := list.Output()
	if err != nil {
		return "", "", fmt.Errorf("go list -deps %s (in %s): %v", pkg, dir, err)
	}
	type module struct {
		Path, Version, Dir string
		Main               bool
	}
	copies := map[string]string{} // module Dir: its copy
	var edits []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			Dir      string
			Module   *module
			CgoFiles []string
		}
		if err := dec.Decode(&p); err != nil {
			return "", work, err
		}
		if p.Module == nil || p.Module.Main || p.Module.Dir == "" {
			continue
		}
		for _, name := range p.CgoFiles {
			data, err := os.ReadFile(filepath.Join(p.Dir, name))
			if err != nil {
				return "", work, err
			}
			changed := dropModuleRunPaths(data)
			if bytes.Equal(changed, data) {
				continue
			}
			if work == "" {
				if err := os.MkdirAll(tmp, 0o755); err != nil {
					return "", "", err
				}
				if work, err = os.MkdirTemp(tmp, ".modules-"); err != nil {
					return "", "", err
				}
			}
			m := p.Module
			cp, ok := copies[m.Dir]
			if !ok {
				cp = filepath.Join(work, fmt.Sprintf("%d", len(copies)))
				if msg, err := exec.Command("cp", "-r", m.Dir, cp).CombinedOutput(); err != nil {
					return "", work, fmt.Errorf("copy %s: %v\n%s", m.Dir, err, msg)
				}
				if msg, err := exec.Command("chmod", "-R", "u+w", cp).CombinedOutput(); err != nil {
					return "", work, fmt.Errorf("%v\n%s", err, msg)
				}
				copies[m.Dir] = cp
				edits = append(edits, "-replace="+m.Path+"@"+m.Version+"="+cp)
			}
			rel, err := filepath.Rel(m.Dir, filepath.Join(p.Dir, name))
			if err != nil {
				return "", work, err
			}
			if err := os.WriteFile(filepath.Join(cp, rel), changed, 0o644); err != nil {
				return "", work, err
			}
		}
	}
	if work == "" {
		return "", "", nil
	}
	modFile = filepath.Join(work, "go.mod")
	for _, f := range [][2]string{{"go.mod", modFile}, {"go.sum", filepath.Join(work, "go.sum")}} {
		data, err := os.ReadFile(filepath.Join(dir, f[0]))
		if err != nil {
			return "", work, err
		}
		if err := os.WriteFile(f[1], data, 0o644); err != nil {
			return "", work, err
		}
	}
	edit := exec.Command("go", append([]string{"mod", "edit", "-modfile=" + modFile}, edits...)...)
	edit.Dir = dir
	if msg, err := edit.CombinedOutput(); err != nil {
		return "", work, fmt.Errorf("go mod edit %s: %v\n%s", strings.Join(edits, " "), err, msg)
	}
	return modFile, work, nil
}

// dropModuleRunPaths removes moduleRunPath options from the #cgo LDFLAGS
// lines of a Go file.
func dropModuleRunPaths(src []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	for i, line := range lines {
		if bytes.Contains(line, []byte("#cgo")) && bytes.Contains(line, []byte("LDFLAGS:")) {
			lines[i] = moduleRunPath.ReplaceAll(line, nil)
		}
	}
	return bytes.Join(lines, []byte("\n"))
}

// cachedModules downloads every module the go.mod in dir requires into the
// module cache, verified against its go.sum, and returns the cache's
// download directory as a GOPROXY value.
func cachedModules(dir string) (string, error) {
	download := exec.Command("go", "mod", "download")
	download.Dir = dir
	if msg, err := download.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go mod download in %s: %v\n%s", dir, err, msg)
	}
	env := exec.Command("go", "env", "GOMODCACHE")
	env.Dir = dir
	modCache, err := env.Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMODCACHE: %v", err)
	}
	return "file://" + filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modCache)), "cache", "download")), nil
}

// pinnedDeps checks that every module the binary links is at the version
// the go.mod requires.
func pinnedDeps(bin, gomod string) error {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(gomod)
	if err != nil {
		return err
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return err
	}
	pinned := map[string]string{}
	for _, r := range f.Require {
		pinned[r.Mod.Path] = r.Mod.Version
	}
	var errs []error
	for _, d := range info.Deps {
		if v := pinned[d.Path]; v != d.Version {
			errs = append(errs, fmt.Errorf("links %s %s, %s pins %q", d.Path, d.Version, gomod, v))
		}
	}
	return errors.Join(errs...)
}

// The rules protocols build upstream binaries with: go_cross_binary builds
// the upstream go_binary for a fixed platform, whose name says whether cgo
// is on; go_binary embeds the upstream main package's library, with pure and
// x_defs of its own.
const (
	crossBinaryKind = "go_cross_binary"
	binaryKind      = "go_binary"
)

// Find returns the Go-built binaries of every protocol in repo, with the
// modules pinned in root/go.mod. Entries whose source is not a
// go_cross_binary of a go_deps repository (a file, a hand-written genrule)
// are not Go builds and are skipped.
func Find(repo *spec.Repo) ([]Binary, error) {
	rootMods, err := requirements(repo.Root, "")
	if err != nil {
		return nil, err
	}
	var bins []Binary
	for _, p := range repo.Protocols {
		mods, dir, err := protocolModules(repo.Root, p, rootMods)
		if err != nil {
			return nil, err
		}
		install := dir != "" && !replaces(mods)
		rules, err := buildRules(repo.Root, p.Dir)
		if err != nil {
			return nil, err
		}
		for _, e := range p.Manifest {
			b, upstream, ok := binaryOf(p, e, rules)
			if !ok {
				continue
			}
			target, err := label.Parse(upstream)
			if err != nil || target.Repo == "" {
				return nil, fmt.Errorf("%s/BUILD.bazel: %s: %q is not one label in a go_deps repository", p.Dir, p.Source(e), upstream)
			}
			req, ok := mods[target.Repo]
			if !ok {
				if upstream == p.Source(e).String() {
					continue // a repository of something else than Go modules
				}
				return nil, fmt.Errorf("%s/BUILD.bazel: %s: repository @%s is no module required in %s", p.Dir, p.Source(e), target.Repo, path.Join(dir, "go.mod"))
			}
			if upstream == p.Source(e).String() && isModuleFile(req.mod.Path, target) {
				continue // a file of the module, not a binary (FindFiles)
			}
			b.Package, b.Module, b.Version, b.Source, b.Dir = path.Join(req.mod.Path, target.Pkg), req.mod.Path, req.mod.Version, req.source, dir
			b.Install = install
			bins = append(bins, b)
		}
	}
	return bins, nil
}

// ModuleFile is a MANIFEST entry shipped as a file of a pinned Go module,
// such as the prebuilt library CosmWasm's wasmvm module holds.
type ModuleFile struct {
	Protocol *spec.Protocol
	Entry    metadata.Entry
	// Module and Version are the go.mod requirement that holds the file
	// (the replacement's path and version when go.mod replaces it); Path
	// is the file's path inside the module.
	Module, Version, Path string
	// Dir is the directory of the go.mod that pins it, as Binary's.
	Dir string
}

// FindFiles returns every MANIFEST entry whose source is a file in a
// go_deps repository of its protocol's modules: a label whose name is not
// the target gazelle generates for its package.
func FindFiles(repo *spec.Repo) ([]ModuleFile, error) {
	rootMods, err := requirements(repo.Root, "")
	if err != nil {
		return nil, err
	}
	var files []ModuleFile
	for _, p := range repo.Protocols {
		mods, dir, err := protocolModules(repo.Root, p, rootMods)
		if err != nil {
			return nil, err
		}
		for _, e := range p.Manifest {
			src := p.Source(e)
			req, ok := mods[src.Repo]
			if src.Repo == "" || !ok || !isModuleFile(req.mod.Path, src) {
				continue
			}
			files = append(files, ModuleFile{Protocol: p, Entry: e, Module: req.source, Version: req.mod.Version, Path: path.Join(src.Pkg, src.Name), Dir: dir})
		}
	}
	return files, nil
}

// Locate downloads the module into the module cache, verified against the
// go.sum beside the go.mod in root/f.Dir, and returns the file's path there.
func (f ModuleFile) Locate(root string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", f.Module+"@"+f.Version)
	cmd.Dir = filepath.Join(root, filepath.FromSlash(f.Dir))
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v", f.Module, f.Version, err)
	}
	var info struct{ Dir string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: no directory in %q", f.Module, f.Version, out)
	}
	file := filepath.Join(info.Dir, filepath.FromSlash(f.Path))
	if fi, err := os.Stat(file); err != nil || fi.IsDir() {
		return "", fmt.Errorf("%s@%s has no file %s", f.Module, f.Version, f.Path)
	}
	return file, nil
}

// isModuleFile says whether label l into the go_deps repository of module
// modPath names a file rather than a target gazelle generates: gazelle
// names a package's library or binary after its import path's last
// element (language/go/package.go:197-211, the "import" naming
// convention), and "_lib" beside a binary.
func isModuleFile(modPath string, l label.Label) bool {
	importPath := path.Join(modPath, l.Pkg)
	dir, name := path.Split(importPath)
	if majorVersion.MatchString(name) && dir != "" {
		name = path.Base(strings.TrimSuffix(dir, "/"))
	}
	name = strings.ReplaceAll(name, ".", "_")
	return l.Name != name && l.Name != name+"_lib"
}

var majorVersion = regexp.MustCompile(`^v[0-9]+$`)

// binaryOf returns what entry e of p is built from when it is a Go build:
// the binary without its module, and the label of the upstream go_binary
// or main-package library.
func binaryOf(p *spec.Protocol, e metadata.Entry, rules map[string]*rule.Rule) (Binary, string, bool) {
	b := Binary{Protocol: p, Entry: e}
	src := p.Source(e)
	if src.Repo != "" && src.Repo != "@" {
		// Upstream's go_binary itself, built for each platform: with cgo
		// under a cgo protocol's platforms, else pure.
		b.Cgo = p.Cgo
		return b, src.String(), true
	}
	if !src.Relative && src.Pkg != p.Dir {
		return b, "", false
	}
	r := rules[src.Name]
	if r == nil {
		return b, "", false
	}
	var upstream string
	switch r.Kind() {
	case crossBinaryKind:
		upstream = r.AttrString("target")
		if platform := r.AttrString("platform"); platform != "" {
			b.Pinned = "platform"
			b.Cgo = strings.HasSuffix(platform, "_cgo")
		}
	case binaryKind:
		if embed := r.AttrStrings("embed"); len(embed) == 1 {
			upstream = embed[0]
		}
		// rules_go's platforms without cgo (the cgo_off constraint)
		// leave pure "auto" pure; only "off" (or race or msan "on")
		// asks for cgo, which a cgo protocol's platforms (cgo_on) give
		// "auto" too.
		for _, attr := range []struct{ name, value string }{{"pure", "off"}, {"race", "on"}, {"msan", "on"}} {
			if r.AttrString(attr.name) == attr.value && b.CgoAttr == "" {
				b.CgoAttr = fmt.Sprintf("%s = %q", attr.name, attr.value)
			}
		}
		b.Cgo = b.CgoAttr != "" || p.Cgo && r.AttrString("pure") != "on"
		b.XDefs = stringDict(r.Attr("x_defs"))
		for _, o := range r.AttrStrings("gc_linkopts") {
			b.LinkOpts = append(b.LinkOpts, expandDollars(o))
		}
		for _, attr := range []string{"goos", "goarch"} {
			if v := r.AttrString(attr); v != "" && v != "auto" && b.Pinned == "" {
				b.Pinned = attr
			}
		}
		b.Static = r.AttrString("static") == "on"
	default:
		return b, "", false
	}
	return b, upstream, true
}

// expandDollars is what ctx.expand_make_variables, through which rules_go
// passes gc_linkopts (go/private/rules/binary.bzl:687-692), makes of "$$":
// one "$" (a run path's $ORIGIN is written $$ORIGIN). Make variables
// ("$(VAR)") are none of ours and stay as written.
func expandDollars(s string) string { return strings.ReplaceAll(s, "$$", "$") }

// protocolModules returns the modules p's binaries come from and the
// directory of the go.mod that pins them: p's own go.mod, read by an
// isolated go_deps usage, or the root's (rootMods, dir "").
func protocolModules(root string, p *spec.Protocol, rootMods map[string]requirement) (map[string]requirement, string, error) {
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p.Dir), "go.mod")); err != nil {
		return rootMods, "", nil
	}
	mods, err := requirements(filepath.Join(root, filepath.FromSlash(p.Dir)), p.Name)
	return mods, p.Dir, err
}

// requirements maps go_deps repository names to the modules the go.mod in
// dir requires, with replacements applied. A protocol's own go.mod (protocol
// not "") is read by an isolated go_deps usage whose repositories MODULE.bazel
// makes visible under ProtocolRepoName.
func requirements(dir, protocol string) (map[string]requirement, error) {
	file := filepath.Join(dir, "go.mod")
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]requirement{}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse(file, data, nil)
	if err != nil {
		return nil, err
	}
	replaced := map[string]module.Version{}
	for _, r := range f.Replace {
		if r.New.Version != "" {
			replaced[r.Old.Path] = r.New
		}
	}
	mods := map[string]requirement{}
	for _, r := range f.Require {
		req := requirement{mod: r.Mod, source: r.Mod.Path}
		if to, ok := replaced[r.Mod.Path]; ok {
			req.mod.Version, req.source = to.Version, to.Path
		}
		name := RepoName(r.Mod.Path)
		if protocol != "" {
			name = ProtocolRepoName(protocol, r.Mod.Path)
		}
		mods[name] = req
	}
	return mods, nil
}

// requirement is a required module, with the version and path of its
// replacement when go.mod replaces it.
type requirement struct {
	mod    module.Version
	source string
}

// replaces reports whether go.mod replaces any module it requires.
func replaces(mods map[string]requirement) bool {
	for _, r := range mods {
		if r.source != r.mod.Path {
			return true
		}
	}
	return false
}

// ProtocolRepoName is the apparent name under which MODULE.bazel makes a
// module of a protocol's own go.mod visible: the protocol's name with "-" as
// "_", two underscores, and go_deps' name for the module (op-geth's
// go-ethereum is op_geth__com_github_ethereum_go_ethereum). The prefix keeps
// it apart from the root go.mod's repository of the same module.
func ProtocolRepoName(protocol, modulePath string) string {
	return strings.ReplaceAll(protocol, "-", "_") + "__" + RepoName(modulePath)
}

// RepoName is the repository name gazelle's go_deps gives a module:
// the host's labels reversed, then the path, joined by "_" with every other
// character but letters and digits turned into "_" and lower-cased
// (github.com/ethereum/go-ethereum is com_github_ethereum_go_ethereum).
func RepoName(modulePath string) string {
	segments := strings.Split(modulePath, "/")
	host := strings.Split(segments[0], ".")
	for i, j := 0, len(host)-1; i < j; i, j = i+1, j-1 {
		host[i], host[j] = host[j], host[i]
	}
	name := strings.Join(append(host, segments[1:]...), "_")
	return strings.Map(func(c rune) rune {
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			return c
		case 'A' <= c && c <= 'Z':
			return c - 'A' + 'a'
		default:
			return '_'
		}
	}, name)
}

// stringDict reads a dict of string literals, as x_defs is written.
func stringDict(e build.Expr) map[string]string {
	dict, ok := e.(*build.DictExpr)
	if !ok {
		return nil
	}
	out := map[string]string{}
	for _, kv := range dict.List {
		k, kok := kv.Key.(*build.StringExpr)
		v, vok := kv.Value.(*build.StringExpr)
		if kok && vok {
			out[k.Value] = v.Value
		}
	}
	return out
}

func buildRules(root, dir string) (map[string]*rule.Rule, error) {
	rules := map[string]*rule.Rule{}
	for _, name := range spec.BuildFileNames {
		file := filepath.Join(root, filepath.FromSlash(dir), name)
		data, err := os.ReadFile(file)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		// A file that never names the kinds holds none of their rules:
		// most protocols' BUILD files need no parse here.
		if !bytes.Contains(data, []byte(crossBinaryKind)) && !bytes.Contains(data, []byte(binaryKind)) {
			break
		}
		f, err := rule.LoadData(file, dir, data)
		if err != nil {
			return nil, err
		}
		for _, r := range f.Rules {
			rules[r.Name()] = r
		}
		break
	}
	return rules, nil
}

// Drift returns an error for each protocol whose VERSION is not the version
// go.mod pins for the module its service executable is built from.
func Drift(bins []Binary) metadata.ErrorList {
	var errs metadata.ErrorList
	for _, b := range bins {
		p := b.Protocol
		if b.Entry != p.Service || p.Tag == b.Version {
			continue
		}
		errs = append(errs, &metadata.Error{
			Path: path.Join(p.Dir, metadata.VersionFile), Line: 1,
			Msg: fmt.Sprintf("VERSION tags %q but go.mod pins %s %s, the source of %s: bump both together (go get %s@%s)",
				p.Tag, b.Module, b.Version, b.Entry.Path, b.Module, p.Tag),
		})
	}
	return errs
}
