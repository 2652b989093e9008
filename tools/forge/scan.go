package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/scan"
)

func init() {
	commands["scan"] = command{
		summary: "print, as JSON, every protocol with a newer stable upstream release; -apply NAME[@VERSION] bumps one",
		run:     runScan,
	}
}

// GitHubAPIEnv overrides the GitHub API root, for GitHub Enterprise.
const GitHubAPIEnv = "FORGE_GITHUB_API"

func runScan(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scan", stderr)
	rootFlag := repoRootFlag(fs)
	apply := fs.String("apply", "", "bump protocol `NAME[@VERSION]` (default: to its newest stable release): VERSION, the pinned module, stamps and BUILD files, leaving forge check green or changing nothing")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
	if err != nil {
		return err
	}
	proxy, err := goProxySettings()
	if err != nil {
		return err
	}
	s := scan.Scanner{
		Proxy:  proxy,
		GitHub: scan.GitHub{BaseURL: os.Getenv(GitHubAPIEnv), Token: os.Getenv("GITHUB_TOKEN")},
	}
	if *apply != "" {
		name, version, _ := strings.Cut(*apply, "@")
		bump, err := s.Apply(context.Background(), repo, name, version)
		if err != nil {
			return reported(stderr, err)
		}
		fmt.Fprintf(stdout, "%s: %s -> %s\n", bump.Name, bump.Existing, bump.Current)
		return nil
	}
	// The bumps found are printed even when some upstreams failed, so that
	// the others are still proposed; the failures make the exit status 1.
	bumps, scanErr := s.Scan(context.Background(), repo)
	if bumps == nil {
		return scanErr
	}
	data, err := json.MarshalIndent(bumps, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(data))
	return scanErr
}

// goProxySettings reads GOPROXY, GONOPROXY and GOPRIVATE as the go command
// sees them: from the environment, else from `go env -w`'s file, else
// the defaults.
func goProxySettings() (scan.Proxy, error) {
	out, err := exec.Command("go", "env", "-json", "GOPROXY", "GONOPROXY", "GOPRIVATE").Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%v: %s", err, bytes.TrimSpace(exitErr.Stderr))
		}
		return scan.Proxy{}, fmt.Errorf("reading the module proxy settings with go env: %v", err)
	}
	var env struct{ GOPROXY, GONOPROXY, GOPRIVATE string }
	if err := json.Unmarshal(out, &env); err != nil {
		return scan.Proxy{}, fmt.Errorf("reading go env's output: %v", err)
	}
	return scan.Proxy{GOPROXY: env.GOPROXY, GONOPROXY: env.GONOPROXY, GOPRIVATE: env.GOPRIVATE}, nil
}
