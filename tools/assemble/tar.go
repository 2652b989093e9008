package assemble

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/packaging"
)

// File is the content of one archive member: a file on disk, or bytes.
type File struct {
	Path string
	Data []byte
}

// Resolver returns the content of a member's Source.
type Resolver func(source string) (File, error)

// recordSize is Python tarfile's RECORDSIZE: tarfile pads the archive to a
// multiple of it on close, after the two zero blocks.
const recordSize = 20 * 512

// XZPreset is the xz preset of xz-compressed tars: 6, tar_writer.py's
// (:97-100). A test that only reads what the tars hold may lower it: the
// content is the same, and preset 6 takes minutes over every protocol.
var XZPreset = 6

// pythonGzipLevel is the compresslevel tar_writer.py gives gzip.GzipFile
// when build_tar passes none (tar_writer.py:104-105).
const pythonGzipLevel = 6

// WriteTar writes t to file as tar_writer.py does: GNU format, members in
// the model's order with its names, modes, owners and mtimes, directories
// named with a trailing "/" (tar_writer.py:145-148), padded to a whole
// record, compressed as the extension says. The gzip header carries the
// default mtime and the file name without ".gz", as Python's GzipFile
// writes them; the deflate and xz streams are Go's and xz's, so the bytes
// may differ from Bazel's where the content does not.
func WriteTar(file string, t *packaging.Tar, resolve Resolver) error {
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	err = writeCompressed(out, file, t, resolve)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	return err
}

func writeCompressed(out *os.File, file string, t *packaging.Tar, resolve Resolver) error {
	switch t.Compression {
	case "":
		return writeTar(out, t.Members, resolve)
	case "gz":
		gz, err := gzip.NewWriterLevel(out, pythonGzipLevel)
		if err != nil {
			return err
		}
		gz.Name = strings.TrimSuffix(path.Base(file), ".gz")
		gz.ModTime = time.Unix(t.MTime, 0)
		if err := writeTar(gz, t.Members, resolve); err != nil {
			return err
		}
		return gz.Close()
	case "xz":
		// Python's lzma at tar_writer.py's preset with its default CRC64
		// check is xz in one thread.
		cmd := exec.Command("xz", "--format=xz", "--check=crc64", fmt.Sprintf("-%d", XZPreset), "--threads=1", "-c")
		cmd.Stdout = out
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("xz: %v", err)
		}
		werr := writeTar(in, t.Members, resolve)
		in.Close()
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("xz: %v\n%s", err, stderr.String())
		}
		return werr
	}
	return fmt.Errorf("%s: %s compression is not written here", t.Rule, t.Compression)
}

// counter counts what passes through it, for the record padding.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeTar writes the members as an uncompressed GNU tar to w.
func writeTar(w io.Writer, members []packaging.Member, resolve Resolver) error {
	c := &counter{w: w}
	tw := tar.NewWriter(c)
	for _, m := range members {
		h := &tar.Header{
			Name:    m.Name,
			Mode:    int64(m.Mode) & 0o7777,
			Uid:     m.UID,
			Gid:     m.GID,
			Uname:   m.Uname,
			Gname:   m.Gname,
			ModTime: time.Unix(m.MTime, 0),
			Format:  tar.FormatGNU,
		}
		if m.Dir {
			h.Typeflag, h.Name = tar.TypeDir, m.Name+"/"
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		f, err := resolve(m.Source)
		if err != nil {
			return fmt.Errorf("%s: %v", m.Name, err)
		}
		if err := writeFile(tw, h, f); err != nil {
			return fmt.Errorf("%s: %v", m.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if pad := (recordSize - c.n%recordSize) % recordSize; pad > 0 {
		_, err := w.Write(make([]byte, pad))
		return err
	}
	return nil
}

func writeFile(tw *tar.Writer, h *tar.Header, f File) error {
	h.Typeflag = tar.TypeReg
	if f.Path == "" {
		h.Size = int64(len(f.Data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(f.Data)
		return err
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", f.Path)
	}
	h.Size = fi.Size()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	_, err = io.Copy(tw, in)
	return err
}
