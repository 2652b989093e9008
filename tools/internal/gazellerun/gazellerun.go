// Package gazellerun runs gazelle's update driver (what gazelle's own main
// calls) in process, one run at a time: the driver keeps process-wide
// state (its walk's directory cache, which panics when two walks overlap,
// v2 walk/cache.go:78; warnings through the standard logger), and forge
// check runs the staleness check and the external closure check, both of
// which run it, side by side.
package gazellerun

import (
	"context"
	"io"
	"log"
	"sync"

	"github.com/bazel-contrib/bazel-gazelle/v2/cmd/gazelle/update"
	"github.com/bazelbuild/bazel-gazelle/language"
)

var mu sync.Mutex

// Run runs the driver with langs over root, with args, once no other run
// of this process is going on. Unless logTo is nil, what the driver logs
// goes there instead, without flags and prefixed "gazelle: ".
func Run(langs []language.Language, root string, args []string, logTo io.Writer) error {
	mu.Lock()
	defer mu.Unlock()
	if logTo != nil {
		out, flags, prefix := log.Writer(), log.Flags(), log.Prefix()
		log.SetOutput(logTo)
		log.SetFlags(0)
		log.SetPrefix("gazelle: ")
		defer func() {
			log.SetOutput(out)
			log.SetFlags(flags)
			log.SetPrefix(prefix)
		}()
	}
	return update.Run(context.Background(), langs, root, args)
}
