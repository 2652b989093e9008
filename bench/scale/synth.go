package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// protocol is one synthetic protocol: its files, and the part of its
// BUILD.bazel a person writes (directives, hand-written rules), which is
// all of it before forge generates the rest.
type protocol struct {
	name      string
	files     map[string]string // relative to the protocol directory
	handBuild string            // "" for no BUILD file
}

// The mix follows performance.md's model of our repository at N = 5000:
// TARGETS none 40% / one variant 30% / two 20% / three with a comment 10%;
// MANIFEST of 1/2/3/4 entries 43/29/14/14%; SERVICE 5%; RUNNER of two
// lines 25%, one with a comment 25%; VERSION plain, release/..., -dev, or
// absent (6%); a systemd.conf drop-in 5%. An entry's source is a file
// named after its basename in the package (37%), a forge_source to a file
// in bin/ or lib/ (34%), a hand-written filegroup (10%) or a forge_source
// to upstream's go_binary of the btcd that go.mod pins (19%; a protocol
// whose service is one has btcd's VERSION, so that the drift check passes).
// A protocol with any source rules_go does not build states its platforms
// (forge_platforms), as forge check wants: the scripts suit both.
var variants = []string{"static", "glibc", "bionic", "focal", "jammy"}

// btcdVersion is the version go.mod pins of github.com/btcsuite/btcd.
const btcdVersion = "v0.26.2"

func synthesize(n int) []*protocol {
	out := make([]*protocol, n)
	for i := range out {
		out[i] = synth(i)
	}
	return out
}

type source int

const (
	fileSource source = iota
	subdirSource
	filegroupSource
	goSource
)

type entry struct {
	path string
	src  source
}

func (e entry) base() string { return path.Base(e.path) }

func synth(i int) *protocol {
	r := rng(i)
	name := fmt.Sprintf("syn-%05d", i)
	short := fmt.Sprintf("syn%05d", i)
	p := &protocol{name: name, files: map[string]string{}}
	pick := func(weights ...float64) int {
		x := r.Float64()
		for k, w := range weights {
			if x < w {
				return k
			}
			x -= w
		}
		return len(weights) - 1
	}

	// MANIFEST: the service first, then a client, a library, a data file.
	candidates := []string{
		"/usr/local/bin/" + short + "d",
		"/usr/local/bin/" + short + "-cli",
		"/usr/local/lib/lib" + short + ".so.1",
		"/usr/local/share/" + short + "/genesis.json",
	}
	var entries []entry
	for _, e := range candidates[:1+pick(0.43, 0.29, 0.14, 0.14)] {
		src := source(pick(0.367, 0.338, 0.100, 0.195))
		if src == goSource && !strings.HasPrefix(e, "/usr/local/bin/") {
			src = fileSource
		}
		entries = append(entries, entry{path: e, src: src})
	}
	var manifest strings.Builder
	for _, e := range entries {
		manifest.WriteString(e.path + "\n")
	}
	p.files["MANIFEST"] = manifest.String()

	service := entries[0]
	if len(entries) > 1 && r.Float64() < 0.05 {
		service = entries[1]
		p.files["SERVICE"] = "# the node, not the first entry\n" + service.path + "\n"
	}

	switch k := pick(0.40, 0.30, 0.20, 0.10); k {
	case 0:
	default:
		perm := r.Perm(len(variants))
		var t strings.Builder
		if k == 3 {
			t.WriteString("# the default variant first\n")
		}
		for _, v := range perm[:k] {
			t.WriteString(variants[v] + "\n")
		}
		p.files["TARGETS"] = t.String()
	}

	version := ""
	switch pick(0.06, 0.54, 0.25, 0.15) {
	case 1:
		version = fmt.Sprintf("v1.%d.%d", r.IntN(40), r.IntN(10))
	case 2:
		version = fmt.Sprintf("release/v2.%d.0", r.IntN(40))
	case 3:
		version = fmt.Sprintf("v0.%d.0-dev", r.IntN(40))
	}
	if service.src == goSource {
		version = btcdVersion
		if r.Float64() < 0.25 {
			version = "release/" + btcdVersion
		}
	}
	if version != "" {
		p.files["VERSION"] = version + "\n"
	}

	switch pick(0.25, 0.25, 0.50) {
	case 0:
		p.files["RUNNER"] = "ubuntu-latest\nubuntu-24.04-arm\n"
	case 1:
		p.files["RUNNER"] = "# needs the disk of a large runner\nself-hosted-large\n"
	}
	if r.Float64() < 0.05 {
		p.files["systemd.conf"] = "[Service]\nLimitNOFILE=65536\n"
	}
	p.files["README.md"] = fmt.Sprintf("# %s\n\nSynthetic protocol number %d of the scale benchmark: a node with %d shipped files.\n\n## Run\n\n```sh\nbazel run //protocols/%s:load\n```\n", name, i, len(entries), name)

	// The hand-written part of the BUILD file.
	var directives, rules []string
	if r.Float64() < 0.30 {
		directives = append(directives, "# gazelle:forge_upstream https://example.invalid/"+name)
	}
	if r.Float64() < 0.20 {
		directives = append(directives, "# gazelle:forge_version_args --version")
	}
	if r.Float64() < 0.10 {
		directives = append(directives, "# gazelle:forge_enable_service true")
	}
	stated := false
	for _, e := range entries {
		b := e.base()
		if e.src != goSource && !stated {
			stated = true
			directives = append(directives, "# gazelle:forge_platforms linux/amd64 linux/arm64")
		}
		switch e.src {
		case fileSource:
			p.files[b] = "#!/bin/sh\necho " + b + "\n"
		case subdirSource:
			dir := "bin"
			if strings.HasPrefix(e.path, "/usr/local/lib/") || strings.HasPrefix(e.path, "/usr/local/share/") {
				dir = "lib"
			}
			p.files[dir+"/"+b] = "#!/bin/sh\necho " + b + "\n"
			directives = append(directives, fmt.Sprintf("# gazelle:forge_source %s :%s/%s", e.path, dir, b))
		case filegroupSource:
			p.files["prebuilt/"+b] = "prebuilt " + b + "\n"
			rules = append(rules, fmt.Sprintf("filegroup(\n    name = %q,\n    srcs = [%q],\n)\n", b, "prebuilt/"+b))
		case goSource:
			target := "@com_github_btcsuite_btcd//cmd/btcctl"
			if e == service {
				target = "@com_github_btcsuite_btcd//:btcd"
			}
			directives = append(directives, fmt.Sprintf("# gazelle:forge_source %s %s", e.path, target))
		}
	}
	var build strings.Builder
	if len(directives) > 0 {
		build.WriteString(strings.Join(directives, "\n") + "\n")
	}
	for _, rule := range rules {
		if build.Len() > 0 {
			build.WriteString("\n")
		}
		build.WriteString(rule)
	}
	p.handBuild = build.String()
	return p
}

func (p *protocol) dir(root string) string {
	return filepath.Join(root, "protocols", p.name)
}

// write creates the protocol's files and its hand-written BUILD file.
func (p *protocol) write(root string) error {
	for rel, content := range p.files {
		file := filepath.Join(p.dir(root), filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return p.writeHandWritten(root)
}

// writeHandWritten puts back the BUILD file as a person wrote it, before
// forge generated anything into it: "from scratch".
func (p *protocol) writeHandWritten(root string) error {
	file := filepath.Join(p.dir(root), "BUILD.bazel")
	if p.handBuild == "" {
		if err := os.Remove(file); err != nil && !os.IsNotExist(err) {
			return err
		}
		return nil
	}
	return os.WriteFile(file, []byte(p.handBuild), 0o644)
}
