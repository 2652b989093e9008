// Package scan finds newer stable upstream releases of the protocols:
// through the Go module proxy for protocols built from pinned modules, and
// through GitHub's releases API for the others.
package scan

import (
	"context"
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
// downgrade.
func (s Scanner) Scan(ctx context.Context, repo *spec.Repo) ([]Bump, error) {
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
	bumps := []Bump{}
	for _, p := range repo.Protocols {
		var candidates []string
		var source string
		switch owner, name, ok := githubRepo(p.Upstream); {
		case modules[p.Name] != "":
			source = modules[p.Name]
			if candidates, err = s.Proxy.Versions(ctx, source); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
		case ok:
			source = p.Upstream
			if candidates, err = s.GitHub.Releases(ctx, owner, name); err != nil {
				return nil, fmt.Errorf("%s: %w", p.Name, err)
			}
		default:
			continue
		}
		if newest := Newest(p.Tag, candidates); newest != "" {
			bumps = append(bumps, Bump{Name: p.Name, Existing: p.Tag, Current: newest, Source: source})
		}
	}
	return bumps, nil
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
