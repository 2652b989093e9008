package publish

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
)

const bucket = "releases"

// store starts an S3 server on loopback, with the fault in front of it,
// and returns a client of it.
func store(t *testing.T, fault fault) *s3.Client {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend).Server()
	srv := httptest.NewServer(fault(fake))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv(EndpointEnv, srv.URL)
	c, err := NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A fault stands between the client and the S3 server.
type fault func(http.Handler) http.Handler

func healthy(h http.Handler) http.Handler { return h }

// flaky fails the first attempt of every PUT with 503.
func flaky(h http.Handler) http.Handler {
	var mu sync.Mutex
	failed := map[string]bool{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fail := r.Method == http.MethodPut && !failed[r.URL.Path]
		failed[r.URL.Path] = true
		mu.Unlock()
		if fail {
			io.Copy(io.Discard, r.Body)
			http.Error(w, "slow down", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// corrupting flips the first byte of every PUT body on its way to the store.
func corrupting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			body, _ := io.ReadAll(r.Body)
			if len(body) > 0 {
				body[0] ^= 0xff
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		h.ServeHTTP(w, r)
	})
}

// forgetful stores PUTs without their Content-MD5 and answers with an ETag
// that is not the content's MD5, as a store that loses data might.
func forgetful(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			h.ServeHTTP(w, r)
			return
		}
		r.Header.Del("Content-MD5")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("ETag", `"00000000000000000000000000000000"`)
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

func protocol(t *testing.T) (*metadata.Protocol, string) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "protocols", "avalanche")
	files := map[string]string{
		"VERSION":  "release/v1.9.5\n",
		"MANIFEST": "/usr/local/bin/avalanchego\n/usr/local/bin/plugins\n",
		"TARGETS":  "static\n",
	}
	for name, content := range files {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := metadata.Load(root, "protocols/avalanche")
	if err != nil {
		t.Fatal(err)
	}
	// The unpacked release archive: entries by basename, plugins a directory.
	release := t.TempDir()
	for rel, content := range map[string]string{"avalanchego": "node binary", "plugins/evm": "plugin a", "plugins/sub/vm2": "plugin b"} {
		p := filepath.Join(release, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return p, release
}

func keys(t *testing.T, c *s3.Client) map[string]string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range out.Contents {
		obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		got[aws.ToString(o.Key)] = string(data)
	}
	return got
}

func TestUploadsEveryManifestFileAtItsKey(t *testing.T) {
	for name, fault := range map[string]fault{"healthy": healthy, "flaky": flaky} {
		c := store(t, fault)
		p, release := protocol(t)
		objects, err := Plan(p, p.Targets[0], platform.Default(), release)
		if err != nil {
			t.Fatal(err)
		}
		if err := Upload(context.Background(), c, bucket, objects); err != nil {
			t.Fatalf("%s store: %v", name, err)
		}
		want := map[string]string{
			"avalanche/static/v1.9.5/avalanchego":     "node binary",
			"avalanche/static/v1.9.5/plugins/evm":     "plugin a",
			"avalanche/static/v1.9.5/plugins/sub/vm2": "plugin b",
		}
		got := keys(t, c)
		if len(got) != len(want) {
			t.Errorf("%s store: stored %v, want %v", name, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s store: %s holds %q, want %q", name, k, got[k], v)
			}
		}
	}
}

// Another platform's files go under the variant with the platform's
// suffix; linux/amd64's keys stay as they were.
func TestPlatformKeys(t *testing.T) {
	p, release := protocol(t)
	arm64, _ := platform.ByOCI("linux/arm64")
	objects, err := Plan(p, p.Targets[0], arm64, release)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objects {
		got = append(got, o.Key)
	}
	want := []string{"avalanche/static-linux-arm64/v1.9.5/avalanchego", "avalanche/static-linux-arm64/v1.9.5/plugins/evm", "avalanche/static-linux-arm64/v1.9.5/plugins/sub/vm2"}
	if !slices.Equal(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}
}

func TestMissingFileUploadsNothing(t *testing.T) {
	c := store(t, healthy)
	p, release := protocol(t)
	if err := os.Remove(filepath.Join(release, "avalanchego")); err != nil {
		t.Fatal(err)
	}
	_, err := Plan(p, p.Targets[0], platform.Default(), release)
	if err == nil || !strings.Contains(err.Error(), "has no avalanchego: nothing was uploaded") {
		t.Errorf("Plan = %v, want the missing entry named", err)
	}
	// A file that disappears between planning and uploading uploads nothing
	// either: Upload reads every file first.
	objects := []Object{
		{Key: "a", Path: filepath.Join(release, "plugins/evm")},
		{Key: "b", Path: filepath.Join(release, "gone")},
	}
	if err := Upload(context.Background(), c, bucket, objects); err == nil || !strings.Contains(err.Error(), "nothing was uploaded") {
		t.Errorf("Upload = %v, want nothing uploaded", err)
	}
	if got := keys(t, c); len(got) != 0 {
		t.Errorf("store holds %v after a failed publish", slices.Sorted(maps.Keys(got)))
	}
}

func TestContentThatDoesNotMatchItsChecksumFails(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault fault
		want  string
	}{
		// The store checks the Content-MD5 Upload sends and refuses the body.
		{"corrupting", corrupting, "BadDigest"},
		// Upload checks the ETag the store answers with.
		{"forgetful", forgetful, "not the file's MD5"},
	} {
		c := store(t, tc.fault)
		p, release := protocol(t)
		objects, err := Plan(p, p.Targets[0], platform.Default(), release)
		if err != nil {
			t.Fatal(err)
		}
		err = Upload(context.Background(), c, bucket, objects)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s store: Upload = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestUnpackReleaseArchive(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "r.tar.gz")
	run := func(args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	src := filepath.Join(dir, "src")
	os.MkdirAll(filepath.Join(src, "plugins"), 0o755)
	os.WriteFile(filepath.Join(src, "node"), []byte("n"), 0o755)
	os.WriteFile(filepath.Join(src, "plugins", "vm"), []byte("v"), 0o755)
	run("tar", "-C", src, "-czf", archive, "./node", "./plugins")
	out := filepath.Join(dir, "out")
	if err := Unpack(archive, out); err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"node": "n", "plugins/vm": "v"} {
		if got, _ := os.ReadFile(filepath.Join(out, rel)); string(got) != want {
			t.Errorf("%s = %q, want %q", rel, got, want)
		}
	}
}
