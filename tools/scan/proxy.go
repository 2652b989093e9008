package scan

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// Proxy lists module versions through the module proxy protocol, with the
// go command's GOPROXY, GONOPROXY and GOPRIVATE semantics.
type Proxy struct {
	// GOPROXY is the list of proxies: URLs, "direct" and "off", separated by
	// "," (fall through to the next on 404 or 410 only) or "|" (on any
	// error). "direct" lists the module's tags from its version control
	// system, through the go command.
	GOPROXY string
	// GONOPROXY (or, when empty, GOPRIVATE) holds glob patterns of module
	// path prefixes that are fetched directly, never through a proxy.
	GONOPROXY, GOPRIVATE string
	Client               *http.Client
}

// Versions returns the versions of the module that are not retracted, from
// the first source GOPROXY (or GONOPROXY/GOPRIVATE) names that has it.
func (p Proxy) Versions(ctx context.Context, modulePath string) ([]string, error) {
	noProxy := p.GONOPROXY
	if noProxy == "" {
		noProxy = p.GOPRIVATE
	}
	if module.MatchPrefixPatterns(noProxy, modulePath) {
		return listDirect(ctx, modulePath)
	}
	escaped, err := module.EscapePath(modulePath)
	if err != nil {
		return nil, err
	}
	list := p.GOPROXY
	if list == "" {
		list = "https://proxy.golang.org,direct"
	}
	var lastErr error
	for list != "" {
		entry, sep := list, byte(0)
		if i := strings.IndexAny(list, ",|"); i >= 0 {
			entry, sep, list = list[:i], list[i], list[i+1:]
		} else {
			list = ""
		}
		var versions []string
		var notFound bool
		switch entry = strings.TrimSpace(entry); entry {
		case "off":
			return nil, fmt.Errorf("GOPROXY=off: module lookups are disabled, so %s cannot be scanned", modulePath)
		case "direct":
			versions, err = listDirect(ctx, modulePath)
		default:
			versions, notFound, err = p.fromProxy(ctx, strings.TrimSuffix(entry, "/")+"/"+escaped+"/@v/", modulePath)
		}
		if err == nil {
			return versions, nil
		}
		lastErr = err
		if !notFound && sep != '|' {
			return nil, err
		}
	}
	return nil, lastErr
}

// fromProxy lists the module's versions at one proxy's @v/ address and
// drops those its latest go.mod retracts, as the go command does: a scan
// must never propose a release its authors withdrew. notFound reports a 404
// or 410, after which a ","-separated GOPROXY tries the next proxy.
func (p Proxy) fromProxy(ctx context.Context, base, modulePath string) (versions []string, notFound bool, err error) {
	body, notFound, err := p.get(ctx, base+"list")
	if err != nil {
		return nil, notFound, err
	}
	versions = strings.Fields(string(body))
	latest := latestVersion(versions)
	if latest == "" {
		return versions, false, nil
	}
	escaped, err := module.EscapeVersion(latest)
	if err != nil {
		return nil, false, err
	}
	goMod, _, err := p.get(ctx, base+escaped+".mod")
	if err != nil {
		return nil, false, fmt.Errorf("loading retractions of %s: %w", modulePath, err)
	}
	file, err := modfile.ParseLax(base+escaped+".mod", goMod, nil)
	if err != nil {
		return nil, false, fmt.Errorf("loading retractions of %s: %w", modulePath, err)
	}
	// A fork published under its own path keeps the module line of the
	// code it forks (op-geth's go.mod says github.com/ethereum/go-ethereum):
	// the go command resolves such a module's @latest and reads the
	// retractions of its latest go.mod all the same (`go list -m -retracted
	// github.com/ethereum-optimism/op-geth@latest` succeeds), so the
	// declared path is not checked here either.
	kept := versions[:0]
	for _, v := range versions {
		if !retracted(file.Retract, v) {
			kept = append(kept, v)
		}
	}
	return kept, false, nil
}

// latestVersion is the version whose go.mod holds the module's retractions:
// the highest release, or the highest pre-release when there is no release.
func latestVersion(versions []string) string {
	var release, pre string
	for _, v := range versions {
		if !semver.IsValid(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			if release == "" || semver.Compare(v, release) > 0 {
				release = v
			}
		} else if pre == "" || semver.Compare(v, pre) > 0 {
			pre = v
		}
	}
	if release != "" {
		return release
	}
	return pre
}

func retracted(retractions []*modfile.Retract, v string) bool {
	for _, r := range retractions {
		if semver.Compare(r.Low, v) <= 0 && semver.Compare(v, r.High) <= 0 {
			return true
		}
	}
	return false
}

// get fetches one proxy address; notFound reports a 404 or 410.
func (p Proxy) get(ctx context.Context, url string) (body []byte, notFound bool, err error) {
	client := p.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, false, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return body, false, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, true, fmt.Errorf("%s: %s", url, resp.Status)
	default:
		return nil, false, fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
}
