package artifacttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// LayerRun is one run of an image's service executable from its layer.
type LayerRun struct {
	// Layer is the layer tar (pkg_tar's output, any compression).
	Layer string
	// Entrypoint is the image's entrypoint: an absolute path in the image,
	// then its fixed arguments.
	Entrypoint []string
	// VersionArgs make the service print its version.
	VersionArgs []string
	// Version is what it must print.
	Version string
	// KnownFailure, when set, is the message the service is known to fail
	// with instead (a defect recorded with forge_known_failure): the run
	// must fail and print it, so that a fix, or another failure, is seen.
	KnownFailure string
	// Dir is an empty scratch directory the layer is unpacked into.
	Dir string
}

// runTimeout bounds one version command; a node that starts syncing
// instead of printing its version would otherwise hang the test.
const runTimeout = 2 * time.Minute

// containerPath is distroless's PATH. The runner gives the service these
// directories under the unpacked layer, so that a program it looks up on
// PATH is found only if the layer holds it (a shell, say, is not), not
// from the test host. The base image's files are not there: a service that
// needs one fails here and says so.
var containerPath = []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// RunLayer unpacks the layer, checks that the entrypoint is a file the
// image's non-root user may execute, runs it with the version arguments
// from the layer's root and returns what it printed.
func RunLayer(r LayerRun) (string, error) {
	if len(r.Entrypoint) == 0 || !path.IsAbs(r.Entrypoint[0]) {
		return "", fmt.Errorf("entrypoint %q is not an absolute path in the image", r.Entrypoint)
	}
	f, err := os.Open(r.Layer)
	if err != nil {
		return "", err
	}
	defer f.Close()
	owners, err := unpack(f, r.Dir)
	if err != nil {
		return "", fmt.Errorf("unpack %s: %v", r.Layer, err)
	}
	// The unpacked file is the test user's; the layer says whose it is.
	if owner, ok := owners[memberPath(r.Entrypoint[0])]; ok && owner != [2]int{0, 0} {
		return "", fmt.Errorf("%s: the entrypoint %s is owned by %d:%d, not root", r.Layer, r.Entrypoint[0], owner[0], owner[1])
	}
	exe := filepath.Join(r.Dir, filepath.FromSlash(r.Entrypoint[0]))
	info, err := os.Lstat(exe)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: the entrypoint %s is not in the layer", r.Layer, r.Entrypoint[0])
	}
	if err != nil {
		return "", err
	}
	// The image runs as 65532, which owns nothing in the layer (owner
	// 0.0): only the "other" execute bit lets it start the service.
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o001 == 0 {
		return "", fmt.Errorf("%s: the entrypoint %s is %v: the image's non-root user cannot execute it", r.Layer, r.Entrypoint[0], info.Mode())
	}

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	args := append(append([]string(nil), r.Entrypoint[1:]...), r.VersionArgs...)
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Dir = r.Dir
	var path []string
	for _, dir := range containerPath {
		path = append(path, filepath.Join(r.Dir, dir))
	}
	cmd.Env = []string{"PATH=" + strings.Join(path, string(os.PathListSeparator)), "HOME=" + r.Dir}
	if dirs := libraryDirs(r.Dir, owners); len(dirs) > 0 {
		// A cgo binary's run path names its shipped libraries' place in
		// the image (/usr/local/lib/<name>), which is not where the
		// layer is unpacked here, outside a root of its own: the
		// libraries are found at their place in the unpacked layer
		// instead. The acceptance test (tools/assemble) runs the image's
		// root, where the run path finds them.
		cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+strings.Join(dirs, string(os.PathListSeparator)))
	}
	out, runErr := cmd.CombinedOutput()
	argv := strings.Join(append([]string{r.Entrypoint[0]}, args...), " ")
	if r.KnownFailure != "" {
		if runErr != nil && strings.Contains(string(out), r.KnownFailure) {
			return string(out), nil
		}
		return string(out), fmt.Errorf("%s: expected the known failure %q, got %v:\n%s\n(if it is fixed, remove forge_known_failure from the protocol's BUILD file)", argv, r.KnownFailure, exitStatus(runErr), out)
	}
	if runErr != nil {
		return string(out), fmt.Errorf("%s: %v\n%s", argv, runErr, out)
	}
	if !strings.Contains(string(out), r.Version) {
		return string(out), fmt.Errorf("%s printed %q, not the version %s", argv, out, r.Version)
	}
	return string(out), nil
}

// libraryDirs returns the directories, under dir where the layer is
// unpacked, of the shared libraries the layer holds, sorted.
func libraryDirs(dir string, members map[string][2]int) []string {
	seen := map[string]bool{}
	var dirs []string
	for m := range members {
		if !(metadata.Entry{Path: "/" + m}).IsSharedLibrary() {
			continue
		}
		d := filepath.Join(dir, filepath.FromSlash(path.Dir(m)))
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs)
	return dirs
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
