// Package filetx replaces a set of files in a repository as one
// transaction: a run killed at any point leaves the old files, or a
// committed journal from which the next run completes the new ones, and
// its temporary files only under the repository's .forge directory, which
// the next run clears. One run at a time holds the repository's lock.
package filetx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// StateDir holds the lock, the journal and the staged files, relative to
// the repository root; .gitignore lists it.
const StateDir = ".forge"

const (
	lockName    = "lock"
	journalName = "journal"
	stagePrefix = "tx-"
)

// crashPoint, when set by a test, is called at each step of Apply with the
// step's name; a test stops the transaction there as a kill would.
var crashPoint func(step string)

func reached(step string) {
	if crashPoint != nil {
		crashPoint(step)
	}
}

// Lock takes the repository's lock, waiting while another run holds it. The
// kernel drops a flock when its holder dies, so a crashed run never leaves
// the lock taken. The returned function releases it.
func Lock(root string) (unlock func(), err error) {
	dir := filepath.Join(root, StateDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// StageDir returns a new directory under the repository's state directory
// for a run's scratch files, which Recover removes if the run dies. Hold the
// lock while using it.
func StageDir(root string) (string, error) {
	dir := filepath.Join(root, StateDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(dir, stagePrefix)
}

// move is one journal entry: a staged file and where it goes, both
// relative to the repository root.
type move struct {
	Staged string `json:"staged"`
	Dest   string `json:"dest"`
}

// Apply replaces the files named by the keys of files (slash-separated
// paths relative to root) with their values. Hold the lock. The commit
// point is the journal's rename: before it nothing outside the state
// directory has changed; after it, Apply or the next Recover moves every
// staged file into place.
func Apply(root string, files map[string][]byte) error {
	if len(files) == 0 {
		return nil
	}
	stage, err := StageDir(root)
	if err != nil {
		return err
	}
	dests := make([]string, 0, len(files))
	for dest := range files {
		dests = append(dests, dest)
	}
	sort.Strings(dests)
	moves := make([]move, len(dests))
	for i, dest := range dests {
		staged := filepath.Join(stage, strconv.Itoa(i))
		if err := writeSynced(staged, files[dest], 0o644); err != nil {
			os.RemoveAll(stage)
			return err
		}
		rel, err := filepath.Rel(root, staged)
		if err != nil {
			os.RemoveAll(stage)
			return err
		}
		moves[i] = move{Staged: filepath.ToSlash(rel), Dest: dest}
		reached("staged")
	}
	journal, err := json.Marshal(moves)
	if err != nil {
		os.RemoveAll(stage)
		return err
	}
	state := filepath.Join(root, StateDir)
	if err := writeSynced(filepath.Join(stage, journalName), journal, 0o644); err != nil {
		os.RemoveAll(stage)
		return err
	}
	reached("journal written")
	if err := os.Rename(filepath.Join(stage, journalName), filepath.Join(state, journalName)); err != nil {
		os.RemoveAll(stage)
		return err
	}
	syncDir(state)
	reached("committed")
	return finish(root, moves)
}

// Recover completes a transaction whose journal was committed and removes
// the staged files of runs that died before their commit. Hold the lock.
func Recover(root string) error {
	state := filepath.Join(root, StateDir)
	data, err := os.ReadFile(filepath.Join(state, journalName))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		var moves []move
		if err := json.Unmarshal(data, &moves); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(state, journalName), err)
		}
		if err := finish(root, moves); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(state)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), stagePrefix) {
			if err := os.RemoveAll(filepath.Join(state, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// finish moves every staged file of a committed journal into place, then
// drops the journal and the stage. A staged file that is gone was moved
// before a crash; moving is idempotent that way.
func finish(root string, moves []move) error {
	stages := map[string]bool{}
	for _, m := range moves {
		staged := filepath.Join(root, filepath.FromSlash(m.Staged))
		stages[filepath.Dir(staged)] = true
		dest := filepath.Join(root, filepath.FromSlash(m.Dest))
		if err := os.Rename(staged, dest); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if _, statErr := os.Stat(staged); errors.Is(statErr, fs.ErrNotExist) {
					continue
				}
			}
			return err
		}
		reached("moved")
	}
	state := filepath.Join(root, StateDir)
	if err := os.Remove(filepath.Join(state, journalName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	syncDir(state)
	for dir := range stages {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}

func writeSynced(name string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable; where the file system cannot sync
// a directory, the rename is still atomic, only perhaps not yet on disk.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
