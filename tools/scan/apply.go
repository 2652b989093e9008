package scan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/check"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Apply bumps protocol name to version, or to its newest stable release
// when version is empty: VERSION, the pinned module (go get, or the replace
// directive's version, with go.sum), version stamps in the protocol's
// x_defs, and every generated BUILD file. Only that protocol's upstream is
// asked, and version must be one of its stable releases newer than the
// current one, so that what a scan proposed is what gets applied. It leaves
// forge check green or changes nothing.
func (s Scanner) Apply(ctx context.Context, repo *spec.Repo, name, version string) (Bump, error) {
	p := repo.ByName(name)
	if p == nil {
		return Bump{}, fmt.Errorf("no protocol %q", name)
	}
	modules, err := serviceModules(repo)
	if err != nil {
		return Bump{}, err
	}
	source, candidates, err := s.releases(ctx, p, modules)
	if err != nil {
		return Bump{}, fmt.Errorf("%s: %w", name, err)
	}
	newest := Newest(p.Tag, candidates)
	switch {
	case version == "" && newest == "":
		return Bump{}, fmt.Errorf("%s has no newer stable release than %s", name, p.Tag)
	case version == "":
		version = newest
	case !slices.Contains(candidates, version) || Newest(p.Tag, []string{version}) != version:
		return Bump{}, fmt.Errorf("%s: %s is no stable release of %s newer than %s", name, version, source, p.Tag)
	}
	bump := &Bump{Name: name, Existing: p.Tag, Current: version, Source: source}
	bins, err := gosource.Find(repo)
	if err != nil {
		return Bump{}, err
	}
	var bin *gosource.Binary
	for i := range bins {
		if bins[i].Protocol == p && bins[i].Entry == p.Service {
			bin = &bins[i]
		}
	}

	snap, err := snapshot(repo.Root, p, bin)
	if err != nil {
		return Bump{}, err
	}
	if err := s.apply(repo, p, bin, *bump); err != nil {
		if rerr := snap.restore(); rerr != nil {
			return Bump{}, fmt.Errorf("%v; restoring the files failed too: %v", err, rerr)
		}
		return Bump{}, fmt.Errorf("%v: nothing was changed", err)
	}
	return *bump, nil
}

func (s Scanner) apply(repo *spec.Repo, p *spec.Protocol, bin *gosource.Binary, bump Bump) error {
	dir := filepath.Join(repo.Root, filepath.FromSlash(p.Dir))
	version := strings.TrimSuffix(p.Version, p.Tag) + bump.Current
	if err := os.WriteFile(filepath.Join(dir, metadata.VersionFile), []byte(version+"\n"), 0o644); err != nil {
		return err
	}
	if bin != nil {
		modDir := filepath.Join(repo.Root, filepath.FromSlash(bin.Dir))
		if bin.Source != bin.Module {
			if err := goCmd(modDir, "mod", "edit", "-replace="+bin.Module+"="+bin.Source+"@"+bump.Current); err != nil {
				return err
			}
			if err := goCmd(modDir, "mod", "tidy"); err != nil {
				return err
			}
		} else if err := goCmd(modDir, "get", bin.Module+"@"+bump.Current); err != nil {
			return err
		}
		if err := restamp(dir, p.Tag, bump.Current); err != nil {
			return err
		}
	}
	if _, err := generate.Write(repo.Root); err != nil {
		return err
	}
	_, err := check.Run(repo.Root)
	return err
}

func goCmd(dir string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// restamp replaces the old release in every x_defs value of the protocol's
// BUILD file, where a go_binary stamps the version upstream's release build
// would: the tag, or the tag without its "v" where upstream's build strips
// it (crescent's `git describe | sed 's/^v//'`).
func restamp(dir, from, to string) error {
	stamps := map[string]string{from: to}
	if bareFrom, ok := strings.CutPrefix(from, "v"); ok {
		if bareTo, ok := strings.CutPrefix(to, "v"); ok {
			stamps[bareFrom] = bareTo
		}
	}
	file := filepath.Join(dir, "BUILD.bazel")
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := build.ParseBuild(file, data)
	if err != nil {
		return err
	}
	for _, r := range f.Rules("") {
		dict, ok := r.Attr("x_defs").(*build.DictExpr)
		if !ok {
			continue
		}
		for _, kv := range dict.List {
			if v, ok := kv.Value.(*build.StringExpr); ok {
				if stamp, ok := stamps[v.Value]; ok {
					v.Value = stamp
				}
			}
		}
	}
	return os.WriteFile(file, build.Format(f), 0o644)
}

// files remembers files' contents to put back after a failed apply.
type files map[string][]byte

func snapshot(root string, p *spec.Protocol, bin *gosource.Binary) (files, error) {
	snap := files{}
	var paths []string
	protocols, err := filepath.Glob(filepath.Join(root, metadata.ProtocolsDir, "*", "*"))
	if err != nil {
		return nil, err
	}
	paths = append(paths, protocols...)
	modDir := root
	if bin != nil {
		modDir = filepath.Join(root, filepath.FromSlash(bin.Dir))
	}
	paths = append(paths, filepath.Join(modDir, "go.mod"), filepath.Join(modDir, "go.sum"))
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			snap[path] = nil
			continue
		}
		if err != nil {
			if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
				continue
			}
			return nil, err
		}
		snap[path] = data
	}
	return snap, nil
}

func (snap files) restore() error {
	var errs []error
	for path, data := range snap {
		if data == nil {
			if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if current, err := os.ReadFile(path); err == nil && bytes.Equal(current, data) {
			continue
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
