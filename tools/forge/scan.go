package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/protocol-forge/protocol-forge/tools/scan"
)

func init() {
	commands["scan"] = command{
		summary: "print, as JSON, every protocol with a newer stable upstream release",
		run:     runScan,
	}
}

// GitHubAPIEnv overrides the GitHub API root, for GitHub Enterprise.
const GitHubAPIEnv = "FORGE_GITHUB_API"

func runScan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	repo, err := loadRepo(fs, repoRootFlag(fs), args, stderr)
	if err != nil {
		return err
	}
	s := scan.Scanner{
		Proxy: scan.Proxy{
			GOPROXY:   os.Getenv("GOPROXY"),
			GONOPROXY: os.Getenv("GONOPROXY"),
			GOPRIVATE: os.Getenv("GOPRIVATE"),
		},
		GitHub: scan.GitHub{BaseURL: os.Getenv(GitHubAPIEnv), Token: os.Getenv("GITHUB_TOKEN")},
	}
	bumps, err := s.Scan(context.Background(), repo)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(bumps, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(data))
	return nil
}
