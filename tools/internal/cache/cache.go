// Package cache keeps what `forge check` found in a repository in the
// user's cache directory, one file per repository and kind, so that a run
// over a tree that did not change since the last recomputes nothing.
// Whoever stores something keys it by content hashes (Hash) of the files
// it depends on and of the program itself (Executable); a missing,
// unreadable or outdated file is only a cold run.
package cache

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// Dir is where kind's files live: os.UserCacheDir()/protocol-forge/kind.
func Dir(kind string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "protocol-forge", kind), nil
}

// Hash returns the hex SHA-256 of its parts, each length-prefixed so that
// no two lists of parts hash alike.
func Hash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:", len(p))
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

var executable struct {
	once sync.Once
	id   string
	err  error
}

// Executable identifies the running program by the hash of its file, so
// that results a different build of it stored are not taken. Hashing the
// file costs tens of milliseconds; the hash is kept beside the stores,
// keyed by the file's path, size and modification time.
func Executable() (string, error) {
	executable.once.Do(func() {
		executable.id, executable.err = hashExecutable()
	})
	return executable.id, executable.err
}

func hashExecutable() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	dir, err := Dir("executables")
	if err != nil {
		return "", err
	}
	stamp := Hash([]byte(exe), []byte(strconv.FormatInt(fi.Size(), 10)), []byte(fi.ModTime().UTC().Format(time.RFC3339Nano)))
	memo := filepath.Join(dir, stamp)
	if data, err := os.ReadFile(memo); err == nil && len(data) == 64 {
		return string(data), nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	id := hex.EncodeToString(h.Sum(nil))
	if os.MkdirAll(dir, 0o755) == nil {
		_ = writeAtomic(memo, []byte(id))
		trim(dir)
	}
	return id, nil
}

// storeFile is the file holding kind's store for the repository at root.
func storeFile(dir, root string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		abs = root
	}
	return filepath.Join(dir, Hash([]byte(abs))[:32]+".gob")
}

// Load decodes the store that Save last wrote in dir for root into v, and
// says whether there was one.
func Load(dir, root string, v any) bool {
	file := storeFile(dir, root)
	f, err := os.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(v); err != nil {
		return false
	}
	// A store in use is not trimmed.
	if fi, err := os.Stat(file); err == nil && time.Since(fi.ModTime()) > time.Hour {
		now := time.Now()
		_ = os.Chtimes(file, now, now)
	}
	return true
}

// Save replaces root's store in dir with v. Concurrent runs each write a
// whole store; the last one stays.
func Save(dir, root string, v any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeAtomic(storeFile(dir, root), buf.Bytes()); err != nil {
		return err
	}
	trim(dir)
	return nil
}

func writeAtomic(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

// unused is how long a store may go unread before trim deletes it: the
// stores of repositories deleted or moved, and of test repositories.
const unused = 7 * 24 * time.Hour

// trim deletes the files of dir that nobody used for a while, at most once
// a day.
func trim(dir string) {
	marker := filepath.Join(dir, ".trimmed")
	if fi, err := os.Stat(marker); err == nil && time.Since(fi.ModTime()) < 24*time.Hour {
		return
	}
	_ = os.WriteFile(marker, nil, 0o644)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() == ".trimmed" {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > unused {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}
