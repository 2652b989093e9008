// Package scan finds newer stable upstream releases of the protocols:
// through the Go module proxy for protocols built from pinned modules, and
// through GitHub's releases API for the others.
package scan

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/protocol-forge/protocol-forge/tools/debversion"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// Bump is a newer release of a protocol.
type Bump struct {
	Name     string `json:"name"`
	Existing string `json:"existing_release"`
	Current  string `json:"current_release"`
	// Source is where the release was found: a module path, or a GitHub
	// repository's address.
	Source string `json:"source"`
}

// Scanner asks a module proxy and GitHub.
type Scanner struct {
	Proxy  Proxy
	GitHub GitHub
}

// Scan returns a bump for every protocol with a newer stable release, in the
// protocols' order. Pre-releases and drafts never count, and no bump is a
// downgrade. A protocol whose upstream cannot be asked does not stop the
// others: Scan returns every bump it found together with an error naming
// each protocol it could not scan.
func (s Scanner) Scan(ctx context.Context, repo *spec.Repo) ([]Bump, error) {
	modules, err := serviceModules(repo)
	if err != nil {
		return nil, err
	}
	bumps := []Bump{}
	var errs []error
	for _, p := range repo.Protocols {
		source, candidates, err := s.releases(ctx, p, modules)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p.Name, err))
			continue
		}
		if newest := Newest(p.Tag, candidates); newest != "" {
			bumps = append(bumps, Bump{Name: p.Name, Existing: p.Tag, Current: newest, Source: source})
		}
	}
	return bumps, errors.Join(errs...)
}

// serviceModules maps each protocol built from a pinned Go module to the
// module of its service.
func serviceModules(repo *spec.Repo) (map[string]string, error) {
	bins, err := gosource.Find(repo)
	if err != nil {
		return nil, err
	}
	modules := map[string]string{}
	for _, b := range bins {
		if b.Entry == b.Protocol.Service {
			modules[b.Protocol.Name] = b.Source
		}
	}
	return modules, nil
}

// releases lists the upstream releases of p and says where they come from:
// the module proxy for a protocol built from a pinned module, GitHub for
// one with a GitHub upstream, nothing for the others.
func (s Scanner) releases(ctx context.Context, p *spec.Protocol, modules map[string]string) (source string, candidates []string, err error) {
	switch owner, name, ok := githubRepo(p.Upstream); {
	case modules[p.Name] != "":
		source = modules[p.Name]
		candidates, err = s.Proxy.Versions(ctx, source)
	case ok:
		source = p.Upstream
		candidates, err = s.GitHub.Releases(ctx, owner, name)
	}
	return source, candidates, err
}

// Newest returns the newest stable candidate newer than current, or "".
// Semantic versions compare as such and their pre-releases (and
// +incompatible builds) are skipped; a current release that is no semantic
// version compares with the candidates by the Debian order of their tags
// (docs/debian.md), which is how such protocols are documented to order.
func Newest(current string, candidates []string) string {
	best := current
	for _, c := range candidates {
		if semver.IsValid(current) {
			if !semver.IsValid(c) || semver.Prerelease(c) != "" || semver.Build(c) != "" {
				continue
			}
			if semver.Compare(c, best) > 0 {
				best = c
			}
			continue
		}
		if debversion.Compare(debversion.FromTag(c), debversion.FromTag(best)) > 0 {
			best = c
		}
	}
	if best == current {
		return ""
	}
	return best
}

// githubRepo reads owner and name from a https://github.com/OWNER/REPO
// address.
func githubRepo(address string) (owner, name string, ok bool) {
	u, err := url.Parse(address)
	if err != nil || u.Host != "github.com" {
		return "", "", false
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 {
		return "", "", false
	}
	return parts[0], strings.TrimSuffix(parts[1], ".git"), true
}
