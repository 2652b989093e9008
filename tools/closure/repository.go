package closure

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/language"
	"github.com/bazelbuild/bazel-gazelle/language/bazel/visibility"
	golang "github.com/bazelbuild/bazel-gazelle/language/go"
	"github.com/bazelbuild/bazel-gazelle/language/proto"
	modpath "golang.org/x/mod/module"

	"github.com/protocol-forge/protocol-forge/tools/internal/gazellerun"
)

// cacheFormat changes whenever the package changes what it writes into a
// cache entry (how it runs gazelle or applies patches), so that old
// entries are not read.
const cacheFormat = "closure cache 2"

// buildFileNames is go_repository's build_file_name default
// (go_repository.bzl:629-635), in the order it looks for an existing one.
var buildFileNames = []string{"BUILD.bazel", "BUILD"}

// sources finds Go module sources in a module cache, downloading what is
// missing unless offline.
type sources struct {
	modCache string
	offline  bool
}

// init finds the module cache, when Options left it to `go env`: only a
// run that prepares a repository needs it.
func (s *sources) init() error {
	if s.modCache != "" {
		return nil
	}
	dir, err := goEnv("GOMODCACHE")
	s.modCache = dir
	return err
}

// dir returns the directory of path@version in the module cache.
func (s *sources) dir(path, version string) (string, error) {
	ep, err := modpath.EscapePath(path)
	if err != nil {
		return "", err
	}
	ev, err := modpath.EscapeVersion(version)
	if err != nil {
		return "", err
	}
	if err := s.init(); err != nil {
		return "", err
	}
	dir := filepath.Join(s.modCache, ep+"@"+ev)
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return dir, nil
	}
	if s.offline {
		return "", fmt.Errorf("%s@%s is not in the module cache %s", path, version, s.modCache)
	}
	// fetch_repo runs `go mod download` too (cmd/fetch_repo/module.go:23-60),
	// with the checksum database off (internal/go_repository.bzl:309-311):
	// the go.sum hash is what it verifies, as repository() does after this.
	cmd := exec.Command("go", "mod", "download", "-json", path+"@"+version)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOMODCACHE="+s.modCache, "GO111MODULE=on", "GOSUMDB=off")
	out, err := cmd.Output()
	var dl struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &dl); jerr == nil && dl.Error != "" {
		return "", errors.New(dl.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s@%s: %v", path, version, err)
	}
	return dl.Dir, nil
}

// zipHash returns the h1: hash the module cache recorded for path@version,
// or "" when it has none.
func (s *sources) zipHash(path, version string) string {
	ep, err1 := modpath.EscapePath(path)
	ev, err2 := modpath.EscapeVersion(version)
	if err1 != nil || err2 != nil {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(s.modCache, "cache", "download", ep, "@v", ev+".ziphash"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// repositories prepares go_deps repositories on demand: each one's tree of
// BUILD files, as go_repository leaves it, kept in the cache.
type repositories struct {
	src      *sources
	cacheDir string
	done     map[*goRepo]*prepared
	// Counters for Stats.
	generated, gazelle, cached int
	// failed says a repository could not be prepared. That may pass (a
	// download that failed), so the run's result is not kept.
	failed bool
}

// prepared is a repository as Bazel would see it.
type prepared struct {
	dir string // BUILD files sit under dir/tree
	// list names every other file, slash-separated, one a line; files is
	// made from it when first asked, which few repositories are.
	list  string
	files map[string]bool
	info  repoInfo
	// err says why go_repository itself would fail; nothing else is set.
	err error
}

// repoInfo is what a cache entry records besides the files.
type repoInfo struct {
	Repo, Importpath, Version string
	Generation                string
	// Shipped: the module has a BUILD file of its own at its root, which
	// "auto" keeps. Gazelle: gazelle ran.
	Shipped, Gazelle bool
}

func newRepositories(src *sources, cacheDir string) *repositories {
	return &repositories{src: src, cacheDir: cacheDir, done: map[*goRepo]*prepared{}}
}

// get returns repository r, from the cache or by preparing it.
func (rs *repositories) get(r *goRepo) *prepared {
	if p := rs.done[r]; p != nil {
		return p
	}
	p := rs.load(r)
	rs.done[r] = p
	return p
}

func (rs *repositories) load(r *goRepo) *prepared {
	entry := filepath.Join(rs.cacheDir, cacheKey(r))
	if p, err := readEntry(entry); err == nil {
		rs.cached++
		return p
	}
	p, err := rs.prepare(r, entry)
	if err != nil {
		rs.failed = true
		return &prepared{err: err}
	}
	rs.generated++
	return p
}

// cacheKey hashes everything that changes what go_repository generates:
// gazelle's version, the module and its version and sum, the override
// settings, the flags and the usage's repo config. A local replacement's
// content is not pinned by a sum, so its files' names, sizes and times are.
func cacheKey(r *goRepo) string {
	h := sha256.New()
	if r.localPath != "" {
		writeTree(h, r.localPath)
	}
	for _, part := range [][]string{
		{cacheFormat, GazelleVersion, GazelleV2Version},
		{r.name, r.importpath, r.fetchPath(), r.version, r.sum, r.generation},
		r.directives,
		r.extraArgs,
		patchKey(r.patches),
		gazelleArgs(r, "REPO", "CONFIG"),
	} {
		fmt.Fprintf(h, "%q\n", part)
	}
	// The repo config is the same large text for every repository of a
	// usage: quoted once per usage, as %q quotes a one-element list.
	if r.usage.quotedConfig == "" {
		r.usage.quotedConfig = fmt.Sprintf("%q\n", []string{r.usage.repoConfig})
	}
	io.WriteString(h, r.usage.quotedConfig)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// writeTree writes the name, size and modification time of every file
// under dir to w.
func writeTree(w io.Writer, dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				fmt.Fprintf(w, "%q %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
			}
		}
		return nil
	})
}

// treeStamp is a hash of writeTree's lines.
func treeStamp(dir string) string {
	h := sha256.New()
	writeTree(h, dir)
	return hex.EncodeToString(h.Sum(nil))
}

// gazelleArgs are the arguments go_repository passes to gazelle
// (go_repository.bzl:378-405) with go_deps' attributes: version is set, so
// -go_repository_module_mode; build_file_name, build_external and
// build_naming_convention keep their defaults "BUILD.bazel,BUILD", "static"
// and "import_alias" (go_repository.bzl:611-663), since go_deps passes none
// of them (go_deps.bzl:771-784); no build_tags or build_file_proto_mode.
func gazelleArgs(r *goRepo, dir, config string) []string {
	args := []string{
		"-go_repository_mode",
		"-go_prefix", r.importpath,
		"-mode", "fix",
		"-repo_root", dir,
		"-repo_config", config,
		"-go_repository_module_mode",
		"-build_file_name", strings.Join(buildFileNames, ","),
		"-external", "static",
		"-go_naming_convention", "import_alias",
		"-bzlmod",
	}
	args = append(args, r.extraArgs...)
	return append(args, dir)
}

// languages are those of go_repository's gazelle binary, built from
// gazelle's cmd/gazelle, in its order (cmd/gazelle/langs.go:26-30).
func languages() []language.Language {
	return []language.Language{visibility.NewLanguage(), proto.NewLanguage(), golang.NewLanguage()}
}

// prepare does what go_repository does (go_repository.bzl:122-450) in a
// scratch directory, and keeps the resulting BUILD files as a cache entry.
func (rs *repositories) prepare(r *goRepo, entry string) (*prepared, error) {
	srcDir := r.localPath
	if srcDir == "" {
		if r.sum == "" {
			// go_repository.bzl:220-222.
			return nil, fmt.Errorf("go_repository fails: no sum for %s@%s in go.sum", r.fetchPath(), r.version)
		}
		dir, err := rs.src.dir(r.fetchPath(), r.version)
		if err != nil {
			return nil, fmt.Errorf("go_repository fails to fetch %s@%s: %v", r.fetchPath(), r.version, err)
		}
		if h := rs.src.zipHash(r.fetchPath(), r.version); h != "" && h != r.sum {
			return nil, fmt.Errorf("go_repository fails: %s@%s has sum %s, go.sum says %s", r.fetchPath(), r.version, h, r.sum)
		}
		srcDir = dir
	}
	if err := os.MkdirAll(rs.cacheDir, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(rs.cacheDir, ".work-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	// Evaluated, so that gazelle's check that its directories lie under
	// -repo_root holds where the temporary directory is a symlink.
	if work, err = filepath.EvalSymlinks(work); err != nil {
		return nil, err
	}
	info := repoInfo{Repo: r.name, Importpath: r.importpath, Version: r.version, Generation: r.generation}
	existing := rootBuildFile(srcDir)
	// "auto" runs gazelle only without a root BUILD file; "clean" first
	// deletes every BUILD file (go_repository.bzl:152, 305-306, 339-350).
	info.Shipped = existing != ""
	info.Gazelle = r.generation == "on" || r.generation == "clean" || existing == "" && r.generation == "auto"
	dir := srcDir
	var gazelleLog []byte
	// gazelle and patches change the repository: they work on a copy.
	if info.Gazelle || len(r.patches) > 0 {
		dir = filepath.Join(work, "external", r.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := copyTree(dir, srcDir); err != nil {
			return nil, err
		}
	}
	if info.Gazelle {
		if r.generation == "clean" {
			if err := cleanBuildFiles(dir); err != nil {
				return nil, err
			}
			existing = ""
		}
		buildFile := existing
		if buildFile == "" {
			buildFile = buildFileNames[0]
		}
		// go_repository.bzl:354-359: the directives replace the root BUILD
		// file's content.
		if len(r.directives) > 0 {
			lines := make([]string, len(r.directives))
			for i, d := range r.directives {
				lines[i] = "# " + d
			}
			if err := os.WriteFile(filepath.Join(dir, buildFile), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
				return nil, err
			}
		}
		config := filepath.Join(work, "WORKSPACE")
		if err := os.WriteFile(config, []byte(r.usage.repoConfig), 0o644); err != nil {
			return nil, err
		}
		if gazelleLog, err = runGazelle(gazelleArgs(r, dir, config)); err != nil {
			return nil, fmt.Errorf("go_repository fails to generate BUILD files for %s: %v\n%s", r.importpath, err, gazelleLog)
		}
		rs.gazelle++
	}
	// go_repository.bzl:417-418: the patches, after gazelle and before
	// the package information, which goes into the patched root file.
	if err := applyPatches(dir, r.patches); err != nil {
		return nil, fmt.Errorf("go_repository fails to patch %s: %v", r.importpath, err)
	}
	if info.Gazelle {
		buildFile := rootBuildFile(dir)
		if buildFile == "" {
			buildFile = buildFileNames[0]
		}
		if err := addPackageInfo(dir, buildFile, r); err != nil {
			return nil, err
		}
	}
	stage := filepath.Join(work, "entry")
	files, err := harvest(dir, filepath.Join(stage, "tree"))
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	for name, content := range map[string][]byte{
		"info.json":   data,
		"files.txt":   []byte(strings.Join(files, "\n")),
		"gazelle.log": gazelleLog,
	} {
		if err := os.WriteFile(filepath.Join(stage, name), content, 0o644); err != nil {
			return nil, err
		}
	}
	p := &prepared{dir: entry, list: strings.Join(files, "\n"), info: info}
	// Written atomically: another run that got there first wins.
	if err := os.Rename(stage, entry); err != nil {
		if _, statErr := os.Stat(filepath.Join(entry, "info.json")); statErr != nil {
			return nil, err
		}
	}
	return p, nil
}

// runGazelle runs gazelle's update driver in-process, as go_repository runs
// the gazelle binary, and returns what it logged.
func runGazelle(args []string) ([]byte, error) {
	var buf bytes.Buffer
	err := gazellerun.Run(languages(), args[len(args)-1], args, &buf)
	return buf.Bytes(), err
}

// cleanBuildFiles is fetch_repo's -clean (cmd/fetch_repo/clean.go:24-47).
func cleanBuildFiles(dir string) error {
	clean := map[string]bool{"BUILD": true, "BUILD.bazel": true, "MODULE.bazel": true, "MODULE.bazel.lock": true,
		"WORKSPACE": true, "WORKSPACE.bazel": true, "WORKSPACE.bzlmod": true}
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if clean[d.Name()] {
			return os.Remove(p)
		}
		return nil
	})
}

// addPackageInfo writes what go_repository adds after gazelle
// (go_repository.bzl:420-445, _generate_package_info at :452-497).
func addPackageInfo(dir, buildFile string, r *goRepo) error {
	repoFile := filepath.Join(dir, "REPO.bazel")
	if _, err := os.Lstat(repoFile); err == nil {
		return nil
	}
	if err := os.WriteFile(repoFile, []byte("repo(\n    default_package_metadata = [\n        \"//:gazelle_generated_package_info\",\n        \"//:package_metadata\",\n    ],\n)\n"), 0o644); err != nil {
		return err
	}
	file := filepath.Join(dir, buildFile)
	content, err := os.ReadFile(file)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	purl, url, version := "pkg:golang/"+r.importpath, "None", "None"
	if r.version != "" {
		purl += "@" + r.version
		url = starlarkString("https://" + r.importpath)
		version = starlarkString(strings.TrimPrefix(r.version, "v"))
	}
	content = append(content, fmt.Sprintf(`
load("@package_metadata//rules:package_metadata.bzl", "package_metadata")
load("@rules_license//rules:package_info.bzl", "package_info")

package_metadata(
    name = "package_metadata",
    purl = %[1]s,
    visibility = [
        "//:__subpackages__",
    ],
)

package_info(
    name = "gazelle_generated_package_info",
    package_name = %[2]s,
    package_url = %[3]s,
    package_version = %[4]s,
    purl = %[1]s,
    visibility = ["//:__subpackages__"],
)
`, starlarkString(purl), starlarkString(r.importpath), url, version)...)
	return os.WriteFile(file, content, 0o644)
}

func starlarkString(s string) string {
	return fmt.Sprintf("%q", s)
}

// copyTree is fetch_repo's copyTree (cmd/fetch_repo/copy_tree.go:24-62):
// directories, regular files and symlinks as they are.
func copyTree(dest, src string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		target := filepath.Join(dest, rel)
		switch {
		case d.IsDir():
			return os.Mkdir(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(target, p)
		}
		return nil
	})
}

func copyFile(dest, src string) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// harvest copies dir's BUILD files (and REPO.bazel) into tree and returns
// the slash-separated paths of every other file.
func harvest(dir, tree string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !isBuildFile(d.Name()) && rel != "REPO.bazel" {
			files = append(files, rel)
			return nil
		}
		if fi, err := os.Stat(p); err != nil || fi.IsDir() {
			return nil // a dangling symlink or one to a directory
		}
		target := filepath.Join(tree, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		return copyFile(target, p)
	})
	return files, err
}

// rootBuildFile returns the name of dir's root BUILD file, or "".
func rootBuildFile(dir string) string {
	for _, name := range buildFileNames {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			return name
		}
	}
	return ""
}

func isBuildFile(name string) bool {
	for _, n := range buildFileNames {
		if name == n {
			return true
		}
	}
	return false
}

func readEntry(entry string) (*prepared, error) {
	data, err := os.ReadFile(filepath.Join(entry, "info.json"))
	if err != nil {
		return nil, err
	}
	p := &prepared{dir: entry}
	if err := json.Unmarshal(data, &p.info); err != nil {
		return nil, err
	}
	files, err := os.ReadFile(filepath.Join(entry, "files.txt"))
	if err != nil {
		return nil, err
	}
	p.list = string(files)
	return p, nil
}

// isFile says whether the repository has a file rel besides its BUILD
// files.
func (p *prepared) isFile(rel string) bool {
	if p.files == nil {
		p.files = map[string]bool{}
		for _, f := range strings.Split(p.list, "\n") {
			if f != "" {
				p.files[f] = true
			}
		}
	}
	return p.files[rel]
}

func goEnv(name string) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		return "", fmt.Errorf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out)), nil
}
