package main

import (
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func TestPublishUploadsTheReleaseArchive(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("releases"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
		"FORGE_S3_ENDPOINT": srv.URL, "FORGE_S3_BUCKET": "releases",
	} {
		t.Setenv(k, v)
	}
	root := checkWorkspace(t, nil)
	files := t.TempDir()
	for _, name := range []string{"geth", "clef", "genesis.json"} {
		write(t, filepath.Join(files, name), name+" content")
	}
	archive := filepath.Join(t.TempDir(), "geth-v1.14.12.tar.gz")
	if out, err := exec.Command("tar", "-C", files, "-czf", archive, "geth", "clef", "genesis.json").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	code, stdout, stderr := runForge("publish", "-repo_root", root, "-protocol", "geth", "-archive", archive)
	if code != 0 {
		t.Fatalf("publish: exit %d: %s", code, stderr)
	}
	for _, key := range []string{"geth/glibc/v1.14.12/geth", "geth/glibc/v1.14.12/clef", "geth/glibc/v1.14.12/genesis.json"} {
		if !strings.Contains(stdout, "uploaded s3://releases/"+key+"\n") {
			t.Errorf("stdout lacks %s:\n%s", key, stdout)
		}
	}

	// An archive without one of the MANIFEST files uploads nothing more.
	if err := os.Remove(filepath.Join(files, "clef")); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(t.TempDir(), "broken.tar.gz")
	if out, err := exec.Command("tar", "-C", files, "-czf", broken, "geth", "genesis.json").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	code, stdout, stderr = runForge("publish", "-repo_root", root, "-protocol", "geth", "-archive", broken)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "has no clef: nothing was uploaded") {
		t.Errorf("publish of an incomplete archive: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
