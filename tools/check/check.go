// Package check finds what would break a build of the repository's
// protocols before anybody runs one: bad metadata, MANIFEST entries whose
// source target does not exist, a VERSION that is not the version go.mod
// pins, BUILD files that gazelle would change, whatever Bazel's loading
// phase would reject (package loadcheck), and what analysis would find in
// the go_deps repositories our Go targets reach (package closure).
package check

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/bazelbuild/bazel-gazelle/label"
	"github.com/bazelbuild/bazel-gazelle/rule"
	"github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/closure"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/loadcheck"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Stats are the counts of the loading-phase and external closure checks.
type Stats struct {
	Loading loadcheck.Stats
	Closure closure.Stats
}

func (s Stats) String() string { return s.Loading.String() + "\n" + s.Closure.String() }

// Run checks the repository at root and returns every problem found as a
// metadata.ErrorList, or another error when it could not check at all,
// with the counts of the loading-phase and external closure checks.
func Run(root string) (Stats, error) {
	var stats Stats
	var errs metadata.ErrorList
	var err error
	stats.Loading, err = loadcheck.Run(root)
	if !errors.As(err, &errs) && err != nil {
		return stats, err
	}
	stats.Closure, err = closure.Run(root)
	var closureErrs metadata.ErrorList
	if !errors.As(err, &closureErrs) && err != nil {
		return stats, err
	}
	return stats, check(root, append(errs, closureErrs...))
}

func check(root string, errs metadata.ErrorList) error {
	repo, err := spec.Load(root)
	if err != nil {
		return err
	}
	repos, err := moduleRepos(root)
	if err != nil {
		return err
	}
	for _, p := range repo.Protocols {
		for _, e := range p.Manifest {
			if msg := resolves(root, repos, p, p.Source(e)); msg != "" {
				errs = append(errs, &metadata.Error{
					Path: path.Join(p.Dir, metadata.ManifestFile), Line: e.Line,
					Msg: fmt.Sprintf("%s: %s", e.Path, msg),
				})
			}
		}
	}
	bins, err := gosource.Find(repo)
	if err != nil {
		return err
	}
	errs = append(errs, gosource.Drift(bins)...)
	stale, err := generate.Changes(root)
	if err != nil {
		return err
	}
	for _, file := range sortedKeys(stale) {
		errs = append(errs, &metadata.Error{Path: file, Msg: "is not what gazelle generates from the protocol's files: run `go run ./tools/forge generate` (or `bazel run //:gazelle`) and commit the result"})
	}
	errs.Sort()
	return errs.Err()
}

// resolves says why l, the source of a MANIFEST entry of p, names nothing,
// or returns "" when it names a target or file.
func resolves(root string, repos map[string]bool, p *spec.Protocol, l label.Label) string {
	if l.Repo != "" && l.Repo != "@" {
		if !repos[l.Repo] {
			return fmt.Sprintf("source %s is in repository @%s, which MODULE.bazel does not create", l, l.Repo)
		}
		return ""
	}
	pkg := l.Pkg
	if l.Relative {
		pkg = p.Dir
	}
	if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(pkg), filepath.FromSlash(l.Name))); err == nil && !fi.IsDir() {
		return ""
	}
	names, buildFile, err := targetNames(root, pkg)
	if err != nil {
		return err.Error()
	}
	if names[l.Name] {
		return ""
	}
	where := fmt.Sprintf("//%s:%s", pkg, l.Name)
	if buildFile == "" {
		return fmt.Sprintf("source %s does not exist: %s has no BUILD file", where, pkg)
	}
	return fmt.Sprintf("source %s does not exist: no target %q in %s and no such file; add it (an alias to the binary's label, say) or map the entry with `# gazelle:%s %s LABEL`",
		where, l.Name, buildFile, spec.SourceDirective, "PATH")
}

// targetNames returns the names of the rules in pkg's BUILD file.
func targetNames(root, pkg string) (map[string]bool, string, error) {
	for _, name := range spec.BuildFileNames {
		file := path.Join(pkg, name)
		f, err := rule.LoadFile(filepath.Join(root, filepath.FromSlash(file)), pkg)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, file, err
		}
		names := map[string]bool{}
		for _, r := range f.Rules {
			names[r.Name()] = true
		}
		return names, file, nil
	}
	return nil, "", nil
}

// moduleRepos returns the repository names MODULE.bazel makes visible: its
// bazel_deps (by repo_name when given) and every use_repo.
func moduleRepos(root string) (map[string]bool, error) {
	file := filepath.Join(root, "MODULE.bazel")
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, err
	}
	f, err := build.ParseModule(file, data)
	if err != nil {
		return nil, err
	}
	repos := map[string]bool{}
	for _, stmt := range f.Stmt {
		call, ok := stmt.(*build.CallExpr)
		if !ok {
			if assign, isAssign := stmt.(*build.AssignExpr); isAssign {
				call, ok = assign.RHS.(*build.CallExpr)
			}
			if !ok {
				continue
			}
		}
		switch build.FormatString(call.X) {
		case "bazel_dep":
			name, repoName := "", ""
			for _, arg := range call.List {
				if a, ok := arg.(*build.AssignExpr); ok {
					if s, ok := a.RHS.(*build.StringExpr); ok {
						switch build.FormatString(a.LHS) {
						case "name":
							name = s.Value
						case "repo_name":
							repoName = s.Value
						}
					}
				}
			}
			if repoName != "" {
				name = repoName
			}
			repos[name] = true
		case "use_repo":
			for _, arg := range call.List[min(1, len(call.List)):] {
				switch a := arg.(type) {
				case *build.StringExpr:
					repos[a.Value] = true
				case *build.AssignExpr:
					repos[build.FormatString(a.LHS)] = true
				}
			}
		}
	}
	return repos, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
