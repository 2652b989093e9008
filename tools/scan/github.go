package scan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// GitHub lists a repository's releases through the GitHub REST API.
type GitHub struct {
	// BaseURL is the API root, https://api.github.com unless a test or a
	// GitHub Enterprise server says otherwise.
	BaseURL string
	// Token, from GITHUB_TOKEN, raises the rate limit.
	Token  string
	Client *http.Client
}

type release struct {
	TagName    string `json:"tag_name"`
	Draft      bool   `json:"draft"`
	Prerelease bool   `json:"prerelease"`
}

var nextLink = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// Releases returns the tags of the published, non-pre-release releases of
// owner/repo, following the API's pages.
func (g GitHub) Releases(ctx context.Context, owner, repo string) ([]string, error) {
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	base := g.BaseURL
	if base == "" {
		base = "https://api.github.com"
	}
	url := fmt.Sprintf("%s/repos/%s/%s/releases?per_page=100", strings.TrimSuffix(base, "/"), owner, repo)
	var tags []string
	for url != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/vnd.github+json")
		if g.Token != "" {
			req.Header.Set("Authorization", "Bearer "+g.Token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if err := apiError(owner+"/"+repo, resp, body); err != nil {
			return nil, err
		}
		var page []release
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("releases of %s/%s: %w", owner, repo, err)
		}
		for _, r := range page {
			if !r.Draft && !r.Prerelease {
				tags = append(tags, r.TagName)
			}
		}
		url = ""
		if m := nextLink.FindStringSubmatch(resp.Header.Get("Link")); m != nil {
			url = m[1]
		}
	}
	return tags, nil
}

// apiError explains a failed answer, the rate limit above all.
func apiError(repo string, resp *http.Response, body []byte) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	limited := resp.StatusCode == http.StatusTooManyRequests ||
		resp.StatusCode == http.StatusForbidden && resp.Header.Get("X-RateLimit-Remaining") == "0"
	if limited {
		reset := "later"
		var epoch int64
		if _, err := fmt.Sscan(resp.Header.Get("X-RateLimit-Reset"), &epoch); err == nil && epoch > 0 {
			reset = "at " + time.Unix(epoch, 0).UTC().Format(time.RFC3339)
		} else if after := resp.Header.Get("Retry-After"); after != "" {
			reset = "in " + after + "s"
		}
		return fmt.Errorf("GitHub's rate limit stopped the scan of %s: it resets %s; set GITHUB_TOKEN for a higher limit", repo, reset)
	}
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("GitHub has no repository %s (or the token cannot see it)", repo)
	}
	return fmt.Errorf("GitHub answered %s for the releases of %s: %s", resp.Status, repo, strings.TrimSpace(string(body)))
}
