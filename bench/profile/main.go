// Command profile runs one of forge's phases in process and writes a pprof
// CPU profile (and the allocations beside it, FILE.allocs), for finding
// what dominates `forge generate` and `forge check` on a repository that
// bench/scale.sh built (SCALE_WORK keeps it):
//
//	go run ./bench/profile -root DIR -o FILE PHASE [protocols/<name>...]
//	go tool pprof -top -cum FILE
//
// Phases: generate (up to date: nothing is written), check, loadcheck
// (cold), loadcheck-cached (with the cache of check), closure, spec.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/protocol-forge/protocol-forge/tools/check"
	"github.com/protocol-forge/protocol-forge/tools/closure"
	"github.com/protocol-forge/protocol-forge/tools/generate"
	"github.com/protocol-forge/protocol-forge/tools/loadcheck"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

func main() {
	root := flag.String("root", ".", "repository root")
	out := flag.String("o", "cpu.pprof", "profile to write")
	flag.Parse()
	if flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: profile -root DIR -o FILE generate|check|loadcheck|loadcheck-cached|closure|spec [protocols/<name>...]")
		os.Exit(2)
	}
	if err := run(*root, *out, flag.Arg(0), flag.Args()[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		os.Exit(1)
	}
}

func run(root, out, phase string, args []string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	start := time.Now()
	switch phase {
	case "generate":
		_, err = generate.Changes(root, args...)
	case "check":
		var names []string
		if names, err = spec.ProtocolNames(root, args); err == nil {
			_, err = check.Run(root, names...)
		}
	case "loadcheck":
		_, err = loadcheck.Run(root)
	case "loadcheck-cached":
		var dir string
		if dir, err = os.UserCacheDir(); err == nil {
			_, err = loadcheck.RunWith(root, loadcheck.Options{CacheDir: filepath.Join(dir, "protocol-forge", "loadcheck")})
		}
	case "closure":
		_, err = closure.Run(root)
	case "spec":
		_, err = spec.Load(root)
	default:
		err = fmt.Errorf("unknown phase %q", phase)
	}
	pprof.StopCPUProfile()
	fmt.Printf("%s: %v (%v)\n", phase, time.Since(start).Round(time.Millisecond), err)
	allocs, aerr := os.Create(out + ".allocs")
	if aerr != nil {
		return aerr
	}
	defer allocs.Close()
	return pprof.Lookup("allocs").WriteTo(allocs, 0)
}
