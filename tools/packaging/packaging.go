// Package packaging models what rules_pkg 1.3.0 builds from the BUILD files
// forge generates, each rule citing the rules_pkg source line it follows.
package packaging

import (
	"os"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
)

// Modes of what a MANIFEST entry ships. Executables and directory entries
// (whose files pkg_tar gives the entry's mode, build_tar.py add_tree) are
// 0755; shared libraries are 0644, as Debian policy 10.9 asks: the dynamic
// linker maps them without the executable bit.
const (
	ExecutableMode os.FileMode = 0o755
	LibraryMode    os.FileMode = 0o644
)

// DebDataExtension is the data tar's compression: xz, as dpkg-deb writes
// it by default; rules_pkg's tar writer compresses with Python's lzma.
const DebDataExtension = "tar.xz"

// EntryMode is the mode a MANIFEST entry ships with, in the image layer, the
// release archive and the .deb alike.
func EntryMode(e metadata.Entry) os.FileMode {
	if e.IsSharedLibrary() {
		return LibraryMode
	}
	return ExecutableMode
}
