package artifacttest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The environment the generated test rules (rules/private/artifact_test.bzl)
// give the runner: Bazel passes a test's settings as environment variables
// (RunEnvironmentInfo), files as runfiles paths.
const (
	ModeEnv         = "FORGE_TEST"            // LayerRunMode or DebMode
	LayerEnv        = "FORGE_LAYER"           // runfiles path of the layer tar
	EntrypointEnv   = "FORGE_ENTRYPOINT"      // JSON list: the image's entrypoint
	VersionArgsEnv  = "FORGE_VERSION_ARGS"    // JSON list
	VersionEnv      = "FORGE_VERSION"         // what the version command prints
	KnownFailureEnv = "FORGE_KNOWN_FAILURE"   // optional
	DebEnv          = "FORGE_DEB"             // runfiles path of the .deb
	LayoutEnv       = "FORGE_RENDERED_LAYOUT" // runfiles path of deb_files' layout.txt
	LayerRunMode    = "layer_run"
	DebMode         = "deb"
)

// Main runs the test the environment describes and returns its report and
// whether it passed.
func Main(getenv func(string) string, scratch string) (string, bool) {
	switch mode := getenv(ModeEnv); mode {
	case LayerRunMode:
		r := LayerRun{
			Layer:        runfile(getenv, getenv(LayerEnv)),
			Version:      getenv(VersionEnv),
			KnownFailure: getenv(KnownFailureEnv),
			Dir:          scratch,
		}
		for env, list := range map[string]*[]string{EntrypointEnv: &r.Entrypoint, VersionArgsEnv: &r.VersionArgs} {
			if err := json.Unmarshal([]byte(getenv(env)), list); err != nil {
				return fmt.Sprintf("%s: %v", env, err), false
			}
		}
		out, err := RunLayer(r)
		if err != nil {
			return err.Error(), false
		}
		if r.KnownFailure != "" {
			return fmt.Sprintf("%s fails as known: %s\n%s", r.Entrypoint[0], r.KnownFailure, out), true
		}
		return fmt.Sprintf("%s printed version %s:\n%s", r.Entrypoint[0], r.Version, out), true
	case DebMode:
		deb := runfile(getenv, getenv(DebEnv))
		errs := CheckDeb(deb, filepath.Dir(runfile(getenv, getenv(LayoutEnv))))
		if len(errs) > 0 {
			report := ""
			for _, err := range errs {
				report += err.Error() + "\n"
			}
			return report, false
		}
		return filepath.Base(deb) + " holds what forge render meant it to", true
	default:
		return fmt.Sprintf("%s is %q; the test rules set it to %q or %q", ModeEnv, mode, LayerRunMode, DebMode), false
	}
}

// runfile resolves a runfiles path ("_main/protocols/geth/layer.tar.gz")
// in the test's runfiles tree, or through the runfiles manifest when Bazel
// made none (--noenable_runfiles); an absolute path is taken as it is.
func runfile(getenv func(string) string, p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if manifest := getenv("RUNFILES_MANIFEST_FILE"); manifest != "" && getenv("RUNFILES_DIR") == "" {
		if target, ok := fromManifest(manifest, p); ok {
			return target
		}
	}
	for _, root := range []string{getenv("RUNFILES_DIR"), getenv("TEST_SRCDIR")} {
		if root != "" {
			return filepath.Join(root, filepath.FromSlash(p))
		}
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Join(exe+".runfiles", filepath.FromSlash(p))
	}
	return p
}

// fromManifest looks p up in a runfiles manifest: one "RUNFILES_PATH
// TARGET" line per file.
func fromManifest(manifest, p string) (string, bool) {
	b, err := os.ReadFile(manifest)
	if err != nil {
		return "", false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if key, target, ok := strings.Cut(line, " "); ok && key == p {
			return target, true
		}
	}
	return "", false
}
