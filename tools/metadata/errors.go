package metadata

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a metadata file, at a line when there is one.
type Error struct {
	Path string // slash-separated, relative to the repository root
	Line int    // 1-based; 0 when the problem is not on a line
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Path, e.Msg)
}

// ErrorList collects every problem found, so that a user fixes them all in
// one round instead of one per run.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Sort orders the list by path, then line.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Path != l[j].Path {
			return l[i].Path < l[j].Path
		}
		return l[i].Line < l[j].Line
	})
}

// Err returns nil for an empty list, so callers can return it directly.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l *ErrorList) add(path string, line int, format string, args ...any) {
	*l = append(*l, &Error{Path: path, Line: line, Msg: fmt.Sprintf(format, args...)})
}
