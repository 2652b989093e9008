package artifacttest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/ulikunitz/xz"
)

// decompress reads a tar stream in whichever compression pkg_tar wrote it:
// the layer is gzip, the .deb's data xz, a plain tar neither. The magic
// bytes decide, as rules_oci and dpkg-deb decide, not the file name.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(6)
	if err != nil && err != io.EOF {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(magic, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}):
		return xz.NewReader(br)
	}
	return br, nil
}

// member is one tar entry with its content, for regular files.
type member struct {
	header  *tar.Header
	content []byte
}

// readTar returns the entries of a (compressed) tar stream by their
// normalised path ("usr/local/bin/geth", without "./" or "/"), the order
// they came in, and an error for an entry listed twice.
func readTar(r io.Reader) (map[string]member, []string, error) {
	plain, err := decompress(r)
	if err != nil {
		return nil, nil, err
	}
	tr := tar.NewReader(plain)
	members := map[string]member{}
	var order []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return members, order, nil
		}
		if err != nil {
			return nil, nil, err
		}
		name := memberPath(h.Name)
		if _, dup := members[name]; dup && h.Typeflag != tar.TypeDir {
			return nil, nil, fmt.Errorf("%s is in the archive twice", name)
		}
		m := member{header: h}
		if h.Typeflag == tar.TypeReg {
			if m.content, err = io.ReadAll(tr); err != nil {
				return nil, nil, err
			}
		}
		members[name] = m
		order = append(order, name)
	}
}

func memberPath(name string) string {
	return strings.Trim(path.Clean("/"+name), "/")
}

// unpack writes the entries of a (compressed) tar stream under root with
// their modes, as a container runtime applies a layer, and returns each
// entry's owner (uid, gid) as archived. Owners are not kept: the test runs
// unprivileged; the modes are what decides whether the image user can run
// a file it does not own.
func unpack(r io.Reader, root string) (map[string][2]int, error) {
	plain, err := decompress(r)
	if err != nil {
		return nil, err
	}
	owners := map[string][2]int{}
	tr := tar.NewReader(plain)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return owners, nil
		}
		if err != nil {
			return nil, err
		}
		rel := memberPath(h.Name)
		if rel == "" {
			continue
		}
		owners[rel] = [2]int{h.Uid, h.Gid}
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return nil, err
			}
		case tar.TypeReg:
			if err := writeMember(dst, tr, os.FileMode(h.Mode)&0o777); err != nil {
				return nil, err
			}
		default:
			// Links are refused rather than followed: our layers hold
			// only the MANIFEST's files and their directories, and a
			// link would let a later entry be written outside root.
			return nil, fmt.Errorf("%s: tar entry type %q is not one a layer of ours holds", h.Name, h.Typeflag)
		}
	}
}

func writeMember(dst string, r io.Reader, mode os.FileMode) error {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Chmod, not the create mode: the umask must not change what the
	// archive says.
	return os.Chmod(dst, mode)
}
