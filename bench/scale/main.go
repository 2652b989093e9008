// Command scale measures `forge generate` and `forge check` on synthetic
// repositories of N protocols against stock gazelle over the same tree, as
// bench/scale.sh runs it; see ../shared/reviews/performance.md for the
// model of the repository and the method.
//
//	go run ./bench/scale -forge BIN -gazelle BIN [-runs K] [-work DIR] N...
//
// For each N it copies the repository's committed tree (git archive HEAD),
// adds N protocols syn-NNNNN whose content depends only on their number,
// brings their BUILD files up to date and checks that `forge check` passes,
// then runs every measurement once per round, K rounds, and prints the
// median wall time and peak RSS of each, the goals' ratios (median of the
// per-round ratios) and, given several N, the growth from the first to the
// last.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	forge := flag.String("forge", "", "forge binary")
	gazelle := flag.String("gazelle", "", "stock gazelle binary (bazel-contrib/bazel-gazelle/v2/cmd/gazelle)")
	profile := flag.String("profile", "", "bench/profile binary: when given, the external closure check alone is measured too")
	runs := flag.Int("runs", 5, "rounds of measurements; medians are over them")
	work := flag.String("work", "", "directory for the synthetic repositories (default: a new one under $TMPDIR, removed at the end)")
	keep := flag.Bool("keep", false, "keep the synthetic repositories")
	flag.Parse()
	if *forge == "" || *gazelle == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: scale -forge BIN -gazelle BIN [-runs K] [-work DIR] N...")
		os.Exit(2)
	}
	if err := run(*forge, *gazelle, *profile, *runs, *work, *keep, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

func run(forge, gazelle, profile string, runs int, work string, keep bool, ns []string) error {
	src, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return fmt.Errorf("not in the repository: %v", err)
	}
	repo := strings.TrimSpace(string(src))
	if work == "" {
		if work, err = os.MkdirTemp("", "forge-scale-"); err != nil {
			return err
		}
		if !keep {
			defer os.RemoveAll(work)
		}
	}
	head, _ := exec.Command("git", "-C", repo, "rev-parse", "--short", "HEAD").Output()
	fmt.Printf("forge scale benchmark, %s, tree of %s, %d rounds, %d CPUs, load %s\n",
		time.Now().UTC().Format("2006-01-02"), strings.TrimSpace(string(head)), runs, numCPU(), loadAvg())
	var results []*result
	for _, arg := range ns {
		n, err := strconv.Atoi(arg)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a number of protocols", arg)
		}
		root := filepath.Join(work, fmt.Sprintf("repo-%d", n))
		res, err := measure(repo, root, forge, gazelle, profile, n, runs)
		if err != nil {
			return err
		}
		res.print()
		results = append(results, res)
	}
	if len(results) > 1 {
		growth(results[0], results[len(results)-1])
	}
	return nil
}

// A step is one measured command; prepare runs before it, untimed.
type step struct {
	name    string
	prepare func() error
	cmd     func() *exec.Cmd
	// ok says whether the exit code is the expected one.
	ok func(code int) bool
}

type sample struct {
	wall time.Duration
	rss  int64 // KiB
	cpu  time.Duration
}

type result struct {
	n       int
	order   []string
	samples map[string][]sample
}

const (
	stGazelle   = "stock gazelle -mode diff"
	stUpToDate  = "generate, up to date"
	stScratch   = "generate, from scratch"
	stCheckCold = "check, cold cache"
	stCheckWarm = "check, warm cache"
	stOneGen    = "generate protocols/<one>"
	stOneCheck  = "check protocols/<one>, cold cache"
	stClosure   = "  the closure check alone, cold"
)

func measure(repo, root, forge, gazelle, profile string, n, runs int) (*result, error) {
	fmt.Fprintf(os.Stderr, "N=%d: building %s\n", n, root)
	if err := os.RemoveAll(root); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	archive := exec.Command("sh", "-c", `git -C "$1" archive HEAD | tar -x -C "$2"`, "sh", repo, root)
	archive.Stderr = os.Stderr
	if err := archive.Run(); err != nil {
		return nil, fmt.Errorf("git archive: %v", err)
	}
	protos := synthesize(n)
	for _, p := range protos {
		if err := p.write(root); err != nil {
			return nil, err
		}
	}
	// The forge commands' cache (the loading-phase results) lives in the
	// work tree, so that cold means cold and the user's cache is untouched.
	cache := filepath.Join(filepath.Dir(root), fmt.Sprintf("cache-%d", n))
	env := append(os.Environ(), "XDG_CACHE_HOME="+cache)
	forgeCmd := func(args ...string) func() *exec.Cmd {
		return func() *exec.Cmd {
			c := exec.Command(forge, append(args[:1:1], append([]string{"-repo_root", root}, args[1:]...)...)...)
			c.Env = env
			return c
		}
	}
	// Cold: no results of forge's own checks (the loading-phase check,
	// staleness, the external closure check). The external closure
	// check's repositories stay as the user's cache has them: preparing
	// them is that check's own cost, paid once per module version, not
	// per run.
	coldCache := func() error {
		for _, kind := range []string{"loadcheck", "staleness", "closure-results"} {
			if err := os.RemoveAll(filepath.Join(cache, "protocol-forge", kind)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := shareClosureCache(cache); err != nil {
		return nil, err
	}
	toScratch := func() error {
		for _, p := range protos {
			if err := p.writeHandWritten(root); err != nil {
				return err
			}
		}
		return nil
	}
	zero := func(code int) bool { return code == 0 }

	fmt.Fprintf(os.Stderr, "N=%d: generating the BUILD files and checking them\n", n)
	if out, err := forgeCmd("generate")().CombinedOutput(); err != nil {
		return nil, fmt.Errorf("forge generate: %v\n%s", err, tail(out))
	}
	if out, err := forgeCmd("check")().CombinedOutput(); err != nil {
		return nil, fmt.Errorf("forge check fails on the synthetic repository: %v\n%s", err, tail(out))
	}
	one := "protocols/" + protos[n/2].name
	steps := []step{
		{name: stGazelle, cmd: func() *exec.Cmd {
			// Absolute: stock gazelle resolves relative directories
			// against its working directory.
			c := exec.Command(gazelle, "-repo_root", root, "-mode", "diff", filepath.Join(root, "protocols"))
			c.Dir = root
			return c
		}, ok: zero},
		{name: stUpToDate, cmd: forgeCmd("generate"), ok: zero},
		{name: stScratch, prepare: toScratch, cmd: forgeCmd("generate"), ok: zero},
		{name: stCheckCold, prepare: coldCache, cmd: forgeCmd("check"), ok: zero},
		{name: stCheckWarm, cmd: forgeCmd("check"), ok: zero},
		{name: stOneGen, cmd: forgeCmd("generate", one), ok: zero},
		{name: stOneCheck, prepare: coldCache, cmd: forgeCmd("check", one), ok: zero},
	}
	if profile != "" {
		// Not a goal of its own: how much of a cold check the external
		// closure check is (alone, it parses the BUILD files that check
		// takes from the loading-phase check).
		steps = append(steps, step{name: stClosure, cmd: func() *exec.Cmd {
			c := exec.Command(profile, "-root", root, "-o", filepath.Join(filepath.Dir(root), "closure.pprof"), "closure")
			c.Env = env
			return c
		}, ok: zero})
	}
	res := &result{n: n, samples: map[string][]sample{}}
	for _, s := range steps {
		res.order = append(res.order, s.name)
	}
	// One warm-up round, then the measured ones: each round runs every
	// step once, so that slow phases of the shared machine hit all alike.
	for round := 0; round <= runs; round++ {
		fmt.Fprintf(os.Stderr, "N=%d: round %d of %d\n", n, round, runs)
		for _, s := range steps {
			if s.prepare != nil {
				if err := s.prepare(); err != nil {
					return nil, err
				}
			}
			sm, out, code, err := timed(s.cmd())
			if err != nil {
				return nil, fmt.Errorf("%s: %v", s.name, err)
			}
			if !s.ok(code) {
				return nil, fmt.Errorf("%s: exit %d\n%s", s.name, code, tail(out))
			}
			if round > 0 {
				res.samples[s.name] = append(res.samples[s.name], sm)
			}
		}
	}
	return res, nil
}

// shareClosureCache points the external closure check's cache under cache
// at the user's, when there is one.
func shareClosureCache(cache string) error {
	user, err := os.UserCacheDir()
	if err != nil {
		return nil
	}
	real := filepath.Join(user, "protocol-forge", "closure")
	if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
		return nil
	}
	link := filepath.Join(cache, "protocol-forge", "closure")
	if _, err := os.Lstat(link); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return err
	}
	return os.Symlink(real, link)
}

// timed runs c and returns its wall time and the peak RSS the kernel
// reports for it.
func timed(c *exec.Cmd) (sample, []byte, int, error) {
	var out strings.Builder
	c.Stdout, c.Stderr = &out, &out
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	if c.ProcessState == nil {
		return sample{}, nil, 0, err
	}
	ru, _ := c.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{wall: wall}
	if ru != nil {
		s.rss = ru.Maxrss
		s.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return s, []byte(out.String()), c.ProcessState.ExitCode(), nil
}

func tail(out []byte) string {
	const max = 4000
	if len(out) > max {
		return "..." + string(out[len(out)-max:])
	}
	return string(out)
}

func median[T int64 | time.Duration | float64](xs []T) T {
	s := append([]T(nil), xs...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func (r *result) wall(name string) time.Duration {
	var xs []time.Duration
	for _, s := range r.samples[name] {
		xs = append(xs, s.wall)
	}
	return median(xs)
}

func (r *result) rss(name string) int64 {
	var xs []int64
	for _, s := range r.samples[name] {
		xs = append(xs, s.rss)
	}
	return median(xs)
}

func (r *result) cpu(name string) time.Duration {
	var xs []time.Duration
	for _, s := range r.samples[name] {
		xs = append(xs, s.cpu)
	}
	return median(xs)
}

// ratio is the median over rounds of a's time over b's in the same round.
func (r *result) ratio(a, b string) float64 {
	var xs []float64
	for i := range r.samples[a] {
		xs = append(xs, r.samples[a][i].wall.Seconds()/r.samples[b][i].wall.Seconds())
	}
	return median(xs)
}

// ratioLess is the median over rounds of (a − less) / b.
func (r *result) ratioLess(a, less, b string) float64 {
	var xs []float64
	for i := range r.samples[a] {
		xs = append(xs, (r.samples[a][i].wall.Seconds()-r.samples[less][i].wall.Seconds())/r.samples[b][i].wall.Seconds())
	}
	return median(xs)
}

func (r *result) print() {
	fmt.Printf("\nN = %d protocols (+ the repository's own), medians of %d rounds\n", r.n, len(r.samples[stGazelle]))
	fmt.Printf("  %-36s %9s %9s %11s\n", "command", "wall", "cpu", "peak RSS")
	for _, name := range r.order {
		fmt.Printf("  %-36s %8.2fs %8.2fs %7d MiB\n", name, r.wall(name).Seconds(), r.cpu(name).Seconds(), r.rss(name)/1024)
	}
	fmt.Println("  goals (time: median of per-round ratios; memory: ratio of median peak RSS)")
	goal := func(what string, got, limit float64, unit string) {
		verdict := "met"
		if got > limit {
			verdict = "NOT met"
		}
		fmt.Printf("    %-52s %7.2f%s (goal ≤ %g%s) %s\n", what, got, unit, limit, unit, verdict)
	}
	goal("generate up to date / stock gazelle", r.ratio(stUpToDate, stGazelle), 2, "×")
	goal("generate from scratch / stock gazelle", r.ratio(stScratch, stGazelle), 2.5, "×")
	goal("check cold / generate up to date", r.ratio(stCheckCold, stUpToDate), 2, "×")
	goal("check warm / generate up to date", r.ratio(stCheckWarm, stUpToDate), 0.5, "×")
	mem := func(name string) float64 { return float64(r.rss(name)) / float64(r.rss(stGazelle)) }
	for _, name := range []string{stUpToDate, stScratch, stCheckCold, stCheckWarm} {
		goal("peak RSS "+name+" / stock gazelle", mem(name), 1.25, "×")
	}
	goal("one-protocol generate", r.wall(stOneGen).Seconds(), 1, " s")
	goal("one-protocol check", r.wall(stOneCheck).Seconds(), 1, " s")
	if len(r.samples[stClosure]) > 0 {
		fmt.Println("  the same without the external closure check (its time alone, cold, subtracted)")
		goal("check cold / generate up to date", r.ratioLess(stCheckCold, stClosure, stUpToDate), 2, "×")
	}
}

// growth prints how time and memory grow from a to b, against the goal of
// linear growth (5.5× for 5× the protocols).
func growth(a, b *result) {
	limit := 1.1 * float64(b.n) / float64(a.n)
	fmt.Printf("\ngrowth from N = %d to N = %d (goal ≤ %.3g×: linear, with 10%% to spare)\n", a.n, b.n, limit)
	for _, name := range a.order {
		if name == stOneGen || name == stOneCheck || name == stClosure {
			continue
		}
		t := b.wall(name).Seconds() / a.wall(name).Seconds()
		cpu := b.cpu(name).Seconds() / a.cpu(name).Seconds()
		m := float64(b.rss(name)) / float64(a.rss(name))
		verdict := "met"
		if t > limit || m > limit {
			verdict = "NOT met"
		}
		fmt.Printf("  %-36s time %5.2f× (cpu %5.2f×)  memory %5.2f×  %s\n", name, t, cpu, m, verdict)
	}
}

func numCPU() int {
	out, err := exec.Command("nproc").Output()
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return n
}

func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// seed fixes the synthetic repositories: protocol i is the same at every N.
const seed = 0x5ca1e

func rng(i int) *rand.Rand { return rand.New(rand.NewPCG(seed, uint64(i))) }
