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
	rootFlag := repoRootFlag(fs)
	apply := fs.String("apply", "", "bump this protocol: VERSION, the pinned module, stamps and BUILD files, leaving forge check green or changing nothing")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
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
	if *apply != "" {
		bump, err := s.Apply(context.Background(), repo, *apply)
		if err != nil {
			return reported(stderr, err)
		}
		fmt.Fprintf(stdout, "%s: %s -> %s\n", bump.Name, bump.Existing, bump.Current)
		return nil
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
