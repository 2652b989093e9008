// Package assemble writes the image layers, release archives and .debs that
// Bazel builds for a protocol, from tools/packaging's model of its BUILD file
// and the files its sources build, so that tests and benchmarks can run and
// measure what users get without Bazel.
package assemble

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/label"
	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/gosource"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Variant is what one target of a protocol ships for one platform, written
// to disk.
type Variant struct {
	Target   metadata.Target
	Platform platform.Platform
	Image    Image
	Archive  Artifact
	Deb      Deb
}

// Artifact is one tar file and the model it was written from.
type Artifact struct {
	Path string
	Tar  *packaging.Tar
}

// Image is an oci_image's configuration and its layers.
type Image struct {
	Rule       string
	Entrypoint []string
	// User is the oci_image's user, "UID:GID".
	User string
	// Base is the base image's repository; Libc says whether it provides
	// the C library (the variant table's Libc for that base).
	Base   string
	Libc   bool
	Layers []Artifact
}

// Deb is a .deb, its model and its data tar.
type Deb struct {
	Path  string
	Model *packaging.Deb
	Data  Artifact
}

// Names of the rules a user builds per variant and platform (README's
// target table): the name, for a protocol with TARGETS "_<variant>" after
// it, then "_<platform>".
func ruleName(base string, t metadata.Target, pl platform.Platform) string {
	if t.Named {
		base += "_" + t.Variant.Name
	}
	return base + "_" + pl.Name
}

// SourceKey is the key of files (Protocol, BuildBinaries) for the file
// the source at an absolute label builds for platform pl.
func SourceKey(pl platform.Platform, source string) string { return pl.Name + " " + source }

// Protocol writes every variant's image layers, release archive and .deb of
// protocol p for each of its platforms under out/<variant>/<platform>, as
// the rules of pkg (its BUILD file) say. files maps SourceKey of each
// platform and MANIFEST entry's source (absolute: "//protocols/gnoland:
// gnoland") to the file built for it, which the platform_files rule of that
// source and platform provides; the files of deb_files rules are rendered
// here, as their `forge render` action renders them.
func Protocol(repo *spec.Repo, p *spec.Protocol, pkg *packaging.Package, files map[string]string, out string) ([]Variant, error) {
	rendered, err := renderDebFiles(repo, p, pkg)
	if err != nil {
		return nil, err
	}
	resolve := func(source string) (File, error) {
		if c, ok := rendered[strings.TrimPrefix(source, ":")]; ok {
			return File{Data: []byte(c)}, nil
		}
		key, err := builtKey(pkg, source)
		if err != nil {
			return File{}, err
		}
		if f, ok := files[key]; ok {
			return File{Path: f}, nil
		}
		return File{}, fmt.Errorf("no file built for %s", key)
	}
	read := func(l string) (string, bool) {
		c, ok := rendered[strings.TrimPrefix(l, ":")]
		return c, ok
	}

	var variants []Variant
	for _, t := range p.Targets {
		for _, pl := range p.Platforms {
			v, err := writeVariant(pkg, t, pl, filepath.Join(out, t.Variant.Name, pl.Name), resolve, read)
			if err != nil {
				return nil, err
			}
			variants = append(variants, v)
		}
	}
	return variants, nil
}

// builtKey returns the files key of a pkg_files source: a platform_files
// rule of the package stands for its src built for its platform.
func builtKey(pkg *packaging.Package, source string) (string, error) {
	name, ok := localName(pkg, source)
	if !ok || pkg.Rule(name).Kind() != "platform_files" {
		return "", fmt.Errorf("source %q is neither a rendered file nor a platform_files rule of the package", source)
	}
	r := pkg.Rule(name)
	for _, pl := range platform.All() {
		if r.AttrString("platform") == pl.RulesGo() || r.AttrString("platform") == pl.RulesGoCgo() {
			src, err := label.Parse(r.AttrString("src"))
			if err != nil {
				return "", fmt.Errorf("%s: platform_files %s: src: %v", pkg.Path, name, err)
			}
			return SourceKey(pl, src.Abs("", pkg.Dir).String()), nil
		}
	}
	return "", fmt.Errorf("%s: platform_files %s: platform %q is none of tools/platform's", pkg.Path, name, r.AttrString("platform"))
}

// writeVariant writes target t's artifacts for platform pl into dir.
func writeVariant(pkg *packaging.Package, t metadata.Target, pl platform.Platform, dir string, resolve func(string) (File, error), read func(string) (string, bool)) (Variant, error) {
	var err error
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Variant{}, err
	}
	v := Variant{Target: t, Platform: pl}
	writeTar := func(name string) (Artifact, error) {
		tar, err := pkg.Tar(name)
		if err != nil {
			return Artifact{}, err
		}
		a := Artifact{Path: filepath.Join(dir, filepath.FromSlash(tar.File)), Tar: tar}
		return a, WriteTar(a.Path, tar, resolve)
	}

	if v.Image, err = image(pkg, ruleName("image", t, pl)); err != nil {
		return Variant{}, err
	}
	for i, l := range v.Image.Layers {
		if v.Image.Layers[i], err = writeTar(l.Tar.Rule); err != nil {
			return Variant{}, err
		}
	}

	publish := pkg.Rule(ruleName("publish", t, pl))
	if publish == nil || publish.Kind() != "protocol_publish" {
		return Variant{}, fmt.Errorf("%s: no protocol_publish %s", pkg.Path, ruleName("publish", t, pl))
	}
	archive, ok := localName(pkg, publish.AttrString("archive"))
	if !ok {
		return Variant{}, fmt.Errorf("%s: %s's archive %q is not a rule of the package", pkg.Path, publish.Name(), publish.AttrString("archive"))
	}
	if v.Archive, err = writeTar(archive); err != nil {
		return Variant{}, err
	}

	d, err := pkg.Deb(ruleName("deb", t, pl), read)
	if err != nil {
		return Variant{}, err
	}
	v.Deb = Deb{Path: filepath.Join(dir, d.File), Model: d}
	if v.Deb.Data, err = writeTar(d.Data); err != nil {
		return Variant{}, err
	}
	if err := WriteDeb(v.Deb.Path, d, v.Deb.Data.Path, read); err != nil {
		return Variant{}, err
	}
	return v, nil
}

// image reads the oci_image called name: entrypoint, user, base and the
// pkg_tar layers (not yet written).
func image(pkg *packaging.Package, name string) (Image, error) {
	r := pkg.Rule(name)
	if r == nil || r.Kind() != "oci_image" {
		return Image{}, fmt.Errorf("%s: no oci_image %s", pkg.Path, name)
	}
	img := Image{Rule: name, Entrypoint: r.AttrStrings("entrypoint"), User: r.AttrString("user"), Base: strings.TrimPrefix(r.AttrString("base"), "@")}
	if len(img.Entrypoint) == 0 {
		return Image{}, fmt.Errorf("%s: oci_image %s has no entrypoint list", pkg.Path, name)
	}
	known := false
	for _, v := range variant.All() {
		for _, pl := range platform.All() {
			if pl.BaseRepository(v.Base) == img.Base {
				img.Libc, known = v.Libc, true
			}
		}
	}
	if !known {
		return Image{}, fmt.Errorf("%s: oci_image %s: base @%s is no variant's", pkg.Path, name, img.Base)
	}
	for _, l := range r.AttrStrings("tars") {
		local, ok := localName(pkg, l)
		if !ok {
			return Image{}, fmt.Errorf("%s: oci_image %s: layer %q is not a rule of the package", pkg.Path, name, l)
		}
		tar, err := pkg.Tar(local)
		if err != nil {
			return Image{}, err
		}
		img.Layers = append(img.Layers, Artifact{Tar: tar})
	}
	return img, nil
}

// localName is the name of the rule of pkg that l names.
func localName(pkg *packaging.Package, l string) (string, bool) {
	parsed, err := label.Parse(l)
	if err != nil || parsed.Repo != "" || (!parsed.Relative && parsed.Pkg != pkg.Dir) || pkg.Rule(parsed.Name) == nil {
		return "", false
	}
	return parsed.Name, true
}

// renderDebFiles renders what each deb_files rule of pkg writes, keyed by
// the path of each declared output in the package ("deb_files_static/
// postinst"). Its action runs `forge render -out` into the directory of
// the control output, so a declared output render does not write is an
// error, as Bazel would report it.
func renderDebFiles(repo *spec.Repo, p *spec.Protocol, pkg *packaging.Package) (map[string]string, error) {
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range pkg.RulesOfKind("deb_files") {
		t, pl, err := pkg.DebFilesFor(r, p.Targets, p.Platforms)
		if err != nil {
			return nil, err
		}
		dir := path.Dir(r.AttrString("control"))
		written := map[string]string{}
		for _, f := range debian.Render(repo, p, t, pl, opts).Files {
			written[path.Join(dir, f.Name)] = f.Content
		}
		for _, o := range declaredOutputs(r) {
			c, ok := written[o]
			if !ok {
				return nil, fmt.Errorf("%s: deb_files %s declares %s, which forge render does not write", pkg.Path, r.Name(), o)
			}
			out[o] = c
		}
	}
	return out, nil
}

func declaredOutputs(r *bzl.Rule) []string {
	var outs []string
	for _, a := range []string{"control", "description", "conffiles", "layout", "postinst", "prerm", "postrm"} {
		outs = append(outs, r.AttrString(a))
	}
	return append(outs, r.AttrStrings("root_files")...)
}

// BuildBinaries builds every Go-built MANIFEST entry of the protocols in
// repo for each of its protocol's platforms into out (laid out as
// gosource.Binary.File says), as gosource builds them (plain go build,
// GOARCH of the platform, rules_go's cgo setting, x_defs), and returns the
// files by SourceKey. A MANIFEST entry built some other way has no file,
// and Protocol reports it.
func BuildBinaries(repo *spec.Repo, out string) (map[string]string, []gosource.Binary, error) {
	return binaries(repo, out, func(b gosource.Binary, file string, pl platform.Platform) error {
		return b.Build(repo.Root, file, pl)
	})
}

// BuiltBinaries is BuildBinaries for binaries already built under dir,
// where the protocol build test leaves them when FORGE_TEST_BINARIES
// names a directory: linking every binary again would cost the acceptance
// test minutes. A binary missing there is an error.
func BuiltBinaries(repo *spec.Repo, dir string) (map[string]string, []gosource.Binary, error) {
	return binaries(repo, dir, func(b gosource.Binary, file string, pl platform.Platform) error {
		info, err := os.Stat(file)
		if err != nil {
			return fmt.Errorf("%s for %s: not built: %w", b.Package, pl.OCI, err)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s for %s: %s is not a regular file", b.Package, pl.OCI, file)
		}
		return nil
	})
}

// binaries calls provide for every Go-built MANIFEST entry and platform
// with its file under dir, and returns those files and the files of the
// pinned modules that ship as they are, by SourceKey.
func binaries(repo *spec.Repo, dir string, provide func(gosource.Binary, string, platform.Platform) error) (map[string]string, []gosource.Binary, error) {
	bins, err := gosource.Find(repo)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]string{}
	for _, b := range bins {
		for _, pl := range b.Protocol.Platforms {
			file := b.File(dir, pl)
			if err := provide(b, file, pl); err != nil {
				return nil, nil, err
			}
			files[SourceKey(pl, SourceLabel(b.Protocol, b.Entry))] = file
		}
	}
	// Files of the pinned modules (a prebuilt library) ship as they are,
	// for each platform the protocol states.
	moduleFiles, err := gosource.FindFiles(repo)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range moduleFiles {
		file, err := f.Locate(repo.Root)
		if err != nil {
			return nil, nil, err
		}
		for _, pl := range f.Protocol.Platforms {
			files[SourceKey(pl, SourceLabel(f.Protocol, f.Entry))] = file
		}
	}
	return files, bins, nil
}

// SourceLabel is the absolute label of the source of MANIFEST entry e.
func SourceLabel(p *spec.Protocol, e metadata.Entry) string {
	return p.Source(e).Abs("", p.Dir).String()
}

// Size is the size of one file a protocol variant ships or is built from.
type Size struct {
	Protocol, Variant, Platform string
	// Artifact is "binary", "layer", "archive" or "deb".
	Artifact string
	File     string
	Bytes    int64
}

// Repository builds the binaries of every protocol in repo into out/bin
// and assembles each protocol's artifacts under out/<protocol>/<variant>
// from its committed BUILD file, and returns the size of each variant's
// binaries, layers, archive and .deb.
func Repository(repo *spec.Repo, out string) ([]Size, error) {
	files, bins, err := BuildBinaries(repo, filepath.Join(out, "bin"))
	if err != nil {
		return nil, err
	}
	var sizes []Size
	for _, p := range repo.Protocols {
		pkg, err := packaging.LoadPackage(filepath.Join(repo.Root, filepath.FromSlash(p.Dir), spec.BuildFileNames[0]), p.Dir)
		if err != nil {
			return nil, err
		}
		variants, err := Protocol(repo, p, pkg, files, filepath.Join(out, p.Name))
		if err != nil {
			return nil, err
		}
		for _, v := range variants {
			add := func(artifact, file string) error {
				fi, err := os.Stat(file)
				if err != nil {
					return err
				}
				sizes = append(sizes, Size{p.Name, v.Target.Variant.Name, v.Platform.Name, artifact, filepath.Base(file), fi.Size()})
				return nil
			}
			for _, b := range bins {
				if b.Protocol == p {
					if err := add("binary", files[SourceKey(v.Platform, SourceLabel(p, b.Entry))]); err != nil {
						return nil, err
					}
				}
			}
			for _, l := range v.Image.Layers {
				if err := add("layer", l.Path); err != nil {
					return nil, err
				}
			}
			if err := add("archive", v.Archive.Path); err != nil {
				return nil, err
			}
			if err := add("deb", v.Deb.Path); err != nil {
				return nil, err
			}
		}
	}
	return sizes, nil
}
