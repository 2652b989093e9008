package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// listDirect lists a module's versions from its version control system, for
// GOPROXY "direct" and for modules GONOPROXY or GOPRIVATE match. Finding
// the repository (go-get meta tags, VCS suffixes, GOINSECURE, GOVCS) and
// reading its tags (a subdirectory module's tag prefix, major version
// suffixes) is the go command's job, so forge asks it rather than
// re-implementing any of that.
func listDirect(ctx context.Context, modulePath string) ([]string, error) {
	// Outside any module, so that no go.mod or go.work of the caller's
	// working directory takes part.
	dir, err := os.MkdirTemp("", "forge-scan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-versions", "-json", "--", modulePath)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOPROXY=direct", "GOWORK=off", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("listing %s from version control (GOPROXY=direct): %s", modulePath, msg)
	}
	var listed struct{ Versions []string }
	if err := json.Unmarshal(stdout.Bytes(), &listed); err != nil {
		return nil, fmt.Errorf("listing %s from version control: reading go list's output: %v", modulePath, err)
	}
	return listed.Versions, nil
}
