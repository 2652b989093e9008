//go:build realtools

package artifacttest_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/packaging"
)

// The generated structure tests, run by container-structure-test itself:
// its Go module v1.22.1, pinned in testdata/structuretest and built here
// (the Bazel module 1.22.1 downloads the v1.22.0 release binary; the two
// tags differ only in repositories.bzl, so the code is the same), its tar
// driver, the configuration exactly as write_file writes it from the
// committed BUILD file, over an image tarball laid out as oci_load writes
// one (rules_oci 2.3.2 oci/private/tarball.sh.tpl, docker format) around
// the assembled layer. They pass on what the BUILD files ship and fail on
// 0644 executables.
func TestGeneratedStructureTestsRunByContainerStructureTest(t *testing.T) {
	cst := buildStructureTest(t)
	run := func(s shipped) (string, error) {
		pkg, err := packaging.LoadPackage(filepath.Join(s.p.Dir, "BUILD.bazel"), s.p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		suffix := strings.TrimPrefix(s.v.Image.Rule, "image")
		structure := pkg.Rule("structure_test" + suffix)
		if structure == nil || structure.AttrString("driver") != "tar" {
			t.Fatalf("%s: no container_structure_test structure_test%s with the tar driver", s.p.Dir, suffix)
		}
		config := pkg.Rule(strings.TrimPrefix(structure.AttrStrings("configs")[0], ":"))
		dir := t.TempDir()
		// write_file joins the content with "\n" (newline = "unix").
		yaml := filepath.Join(dir, config.AttrString("out"))
		if err := os.WriteFile(yaml, []byte(strings.Join(config.AttrStrings("content"), "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		image := filepath.Join(dir, "tarball.tar")
		writeDockerTarball(t, image, pkg.Rule(s.v.Image.Rule), s.v.Image.Layers[0].Path)
		// The arguments the rule's launcher passes for a .tar image
		// (bazel/container_structure_test.bzl:72-84).
		out, err := exec.Command(cst, "test", "--driver", "tar", "--image", image, "--config", yaml, "--platform", "linux/amd64").CombinedOutput()
		return string(out), err
	}
	t.Chdir(repoRoot(t))
	for _, s := range assembleStubbed(t, nil) {
		if out, err := run(s); err != nil {
			t.Errorf("%s/%s: %v\n%s", s.p.Name, s.v.Target.Variant.Name, err, out)
		}
	}
	for _, s := range assembleStubbed(t, dropAttributes) {
		out, err := run(s)
		if want := s.p.Service.Path + " has incorrect permissions. Expected: -rwxr-xr-x, Actual: -rw-r--r--"; err == nil || !strings.Contains(out, want) {
			t.Errorf("%s/%s with 0644 executables: %v, want a failure saying %q:\n%s", s.p.Name, s.v.Target.Variant.Name, err, want, out)
		}
	}
}

func buildStructureTest(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "container-structure-test")
	cmd := exec.Command("go", "build", "-mod=readonly", "-o", bin, "github.com/GoogleContainerTools/container-structure-test/cmd/container-structure-test")
	cmd.Dir = filepath.Join("testdata", "structuretest")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build container-structure-test: %v\n%s", err, out)
	}
	return bin
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// writeDockerTarball writes what oci_load's tarball output group holds for
// an image of one layer: manifest.json naming the config and layer blobs,
// and the blobs. The config carries the oci_image rule's entrypoint, user
// and labels, and the layer's diff_id, as oci_image writes them.
func writeDockerTarball(t *testing.T, file string, image *bzl.Rule, layer string) {
	t.Helper()
	layerBytes, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(layerBytes))
	if err != nil {
		t.Fatal(err)
	}
	diff := sha256.New()
	if _, err := io.Copy(diff, zr); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{}
	if d, ok := image.Attr("labels").(*bzl.DictExpr); ok {
		for _, kv := range d.List {
			k, _ := kv.Key.(*bzl.StringExpr)
			v, _ := kv.Value.(*bzl.StringExpr)
			if k == nil || v == nil {
				t.Fatalf("%s: labels must be string literals", image.Name())
			}
			labels[k.Value] = v.Value
		}
	}
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Entrypoint": image.AttrStrings("entrypoint"),
			"User":       image.AttrString("user"),
			"Labels":     labels,
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + hex.EncodeToString(diff.Sum(nil))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	blob := func(b []byte) string {
		sum := sha256.Sum256(b)
		return "blobs/sha256/" + hex.EncodeToString(sum[:])
	}
	configPath, layerPath := blob(config), blob(layerBytes)+".tar.gz"
	manifest, err := json.Marshal([]map[string]any{{"Config": configPath, "RepoTags": []string{"forge-test:latest"}, "Layers": []string{layerPath}}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range []struct {
		name string
		data []byte
	}{{configPath, config}, {layerPath, layerBytes}, {"manifest.json", manifest}} {
		if err := tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o755, Size: int64(len(m.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		t.Fatal(fmt.Errorf("%s: %v", file, err))
	}
}
