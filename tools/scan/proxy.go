package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/module"
)

// Proxy lists module versions through the module proxy protocol, with the
// go command's GOPROXY, GONOPROXY and GOPRIVATE semantics.
type Proxy struct {
	// GOPROXY is the list of proxies: URLs, "direct" and "off", separated by
	// "," (fall through to the next on 404 or 410 only) or "|" (on any
	// error).
	GOPROXY string
	// GONOPROXY (or, when empty, GOPRIVATE) holds glob patterns of module
	// path prefixes that are fetched directly, never through a proxy.
	GONOPROXY, GOPRIVATE string
	Client               *http.Client
}

// errDirect is returned for a module the go command would fetch from its
// version control system, which forge scan does not do.
var errDirect = errors.New("is fetched directly from version control (GOPROXY direct or GONOPROXY/GOPRIVATE), which forge scan does not do")

// Versions returns the versions a proxy lists for the module.
func (p Proxy) Versions(ctx context.Context, modulePath string) ([]string, error) {
	noProxy := p.GONOPROXY
	if noProxy == "" {
		noProxy = p.GOPRIVATE
	}
	if module.MatchPrefixPatterns(noProxy, modulePath) {
		return nil, fmt.Errorf("%s %w", modulePath, errDirect)
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
		switch entry = strings.TrimSpace(entry); entry {
		case "off":
			return nil, fmt.Errorf("GOPROXY=off: module lookups are disabled, so %s cannot be scanned", modulePath)
		case "direct":
			return nil, fmt.Errorf("%s %w", modulePath, errDirect)
		}
		versions, notFound, err := p.list(ctx, strings.TrimSuffix(entry, "/")+"/"+escaped+"/@v/list")
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

// list fetches one @v/list; notFound reports a 404 or 410, after which a
// ","-separated GOPROXY tries the next proxy.
func (p Proxy) list(ctx context.Context, url string) (versions []string, notFound bool, err error) {
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
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, false, err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		return strings.Fields(string(body)), false, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, true, fmt.Errorf("%s: %s", url, resp.Status)
	default:
		return nil, false, fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
}
