package forge

import (
	"fmt"
	"log"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/bazelbuild/bazel-gazelle/language"
	"github.com/bazelbuild/bazel-gazelle/rule"
	bzl "github.com/bazelbuild/buildtools/build"

	"github.com/protocol-forge/protocol-forge/tools/debian"
	"github.com/protocol-forge/protocol-forge/tools/escape"
	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/packaging"
	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/spec"
	"github.com/protocol-forge/protocol-forge/tools/variant"
)

// Names of the generated targets. A protocol without TARGETS gets them as
// they are; with TARGETS each variant gets them with "_<variant>" appended,
// and image, load, archive and deb stand for the first variant's. Targets
// of one platform append "_<platform>" (linux_arm64) after that.
const (
	layerName      = "layer"
	imageName      = "image"
	loadName       = "load"
	pushName       = "push"
	archiveName    = "archive"
	debName        = "deb"
	publishName    = "publish"
	repositoryName = "repository"
	debFilesName   = "deb_files"
	debConfigName  = "deb_config"
	debDataName    = "deb_data"
	// filesName prefixes a MANIFEST entry's source built for a platform.
	filesName = "files"
	// The tests of what a variant ships for a platform (testRules).
	tarballName         = "tarball"
	structureConfigName = "structure_config"
	structureTestName   = "structure_test"
	runTestName         = "run_test"
	debTestName         = "deb_test"
)

// helperNames are the per-variant targets beside perVariantNames that
// users do not build by name.
var helperNames = []string{debFilesName, debConfigName, debDataName, tarballName, structureConfigName, structureTestName, runTestName, debTestName}

// perVariantNames are the targets generated once per variant, and some of
// them once per variant and platform too.
var perVariantNames = []string{layerName, imageName, loadName, pushName, archiveName, debName, publishName}

// labelsAttr keeps an image's labels as a map beside the attribute, for
// the structure test that checks them.
const labelsAttr = "forge_labels"

// nonRootUser is the uid:gid images run as: distroless's "nonroot" user,
// written as numbers so that runtimes that check for a non-root user by uid
// (Kubernetes' runAsNonRoot) accept the image.
const nonRootUser = "65532:65532"

// Owner and mode of what pkg_tar writes. The tar-level mode applies only to
// entries without a mode of their own: every pkg_files sets one (rules_pkg
// defaults it to 0644), so each MANIFEST mapping states its mode itself, see
// manifestMode.
const (
	fileMode  = "0755"
	fileOwner = "0.0"
)

func (*forgeLang) GenerateRules(args language.GenerateArgs) language.GenerateResult {
	var res language.GenerateResult
	fc := getConfig(args.Config)
	if fc == nil || !fc.covers(args.Rel) {
		// A protocol whose metadata was not loaded is not this run's to
		// change: without it, every generated rule would look stale.
		return res
	}
	generated := map[string]string{}
	if p := fc.repo.Protocol(args.Rel); p != nil {
		// The render action reads the protocol's BUILD file for its
		// directives, under whichever name it has.
		buildFile := spec.BuildFileNames[0]
		if args.File != nil {
			buildFile = path.Base(args.File.Path)
		}
		res.Gen = protocolRules(fc.repo, p, buildFile)
		for _, r := range res.Gen {
			generated[r.Name()] = r.Kind()
		}
		res.Imports = make([]interface{}, len(res.Gen))
	}
	res.Empty = staleRules(args.File, generated)
	return res
}

// staleRules returns an empty rule for each rule of the file that this
// language generated once but would not generate now, under that name and
// kind (a variant dropped from TARGETS, a platform narrowed away, a name
// that is now another kind's), so that gazelle deletes it. Rules with other
// names are the user's and stay.
func staleRules(f *rule.File, generated map[string]string) []*rule.Rule {
	if f == nil {
		return nil
	}
	var empty []*rule.Rule
	for _, r := range f.Rules {
		if generated[r.Name()] != r.Kind() && wasGenerated(r) {
			e := rule.NewRule(r.Kind(), r.Name())
			// Gazelle merges an empty rule into the old one and deletes
			// it once its non-empty attributes are gone. It cannot merge
			// nothing into a select() or a call (it logs so and keeps the
			// attribute, and with it the rule), so each attribute is
			// given a value that merges itself away.
			for _, key := range r.AttrKeys() {
				if key != "name" {
					e.SetAttr(key, dropped{})
				}
			}
			empty = append(empty, e)
		}
	}
	return empty
}

// generatedKinds are the kinds each generated base name has: a rule
// named like one of ours but of another kind is the user's.
var generatedKinds = map[string][]string{
	layerName:           {"pkg_tar"},
	imageName:           {"oci_image", "oci_image_index", "alias"},
	loadName:            {"oci_load", "alias"},
	pushName:            {"oci_push", "multirun"},
	archiveName:         {"pkg_tar", "filegroup", "alias"},
	debName:             {"pkg_deb", "filegroup", "alias"},
	publishName:         {"protocol_publish", "multirun"},
	debFilesName:        {"deb_files"},
	debConfigName:       {"pkg_files"},
	debDataName:         {"pkg_tar"},
	tarballName:         {"filegroup"},
	structureConfigName: {"write_file"},
	structureTestName:   {"container_structure_test"},
	runTestName:         {"layer_run_test"},
	debTestName:         {"deb_test"},
}

// wasGenerated says whether r has the kind and the exact name of a rule this
// language generates for some MANIFEST entry, variant or platform: a base
// name, or a base name with a known variant's or platform's suffix, or an
// entry's mapping. A rule named merely like one (archive_docs,
// image_latest), or named like one with another kind, is the user's; so are
// the generic kinds (filegroup, write_file) unless they hold what we
// generate in them.
func wasGenerated(r *rule.Rule) bool {
	name, kind := r.Name(), r.Kind()
	if kind == "pkg_files" && (strings.HasPrefix(name, layerName+"_files_") || strings.HasPrefix(name, archiveName+"_files_")) {
		return true
	}
	if kind == "platform_files" && strings.HasPrefix(name, filesName+"_") {
		return true
	}
	if name == repositoryName {
		return kind == "image_repository"
	}
	switch kind {
	case "filegroup":
		if r.AttrString("output_group") != "tarball" && !collectsOwn(r) {
			return false
		}
	case "write_file":
		if !strings.HasSuffix(r.AttrString("out"), ".yaml") {
			return false
		}
	}
	for base, kinds := range generatedKinds {
		if !slices.Contains(kinds, kind) {
			continue
		}
		if name == base {
			return true
		}
		if suffix, ok := strings.CutPrefix(name, base+"_"); ok && knownSuffix(suffix) {
			return true
		}
	}
	return false
}

// collectsOwn says whether a filegroup is one we write for archive or deb:
// every src a rule of the same package named like the filegroup plus a
// platform's suffix.
func collectsOwn(r *rule.Rule) bool {
	srcs := r.AttrStrings("srcs")
	for _, src := range srcs {
		rest, ok := strings.CutPrefix(src, ":"+r.Name()+"_")
		if !ok {
			return false
		}
		if _, ok := platform.ByName(rest); !ok {
			return false
		}
	}
	return len(srcs) > 0
}

// knownSuffix says whether suffix is what a per-variant or per-platform
// name carries: a variant, a platform, or a variant and a platform.
func knownSuffix(suffix string) bool {
	for _, pl := range platform.All() {
		if suffix == pl.Name {
			return true
		}
		if v, ok := strings.CutSuffix(suffix, "_"+pl.Name); ok {
			suffix = v
			break
		}
	}
	_, known := variant.Lookup(suffix)
	return known
}

// isGeneratedName says whether name is, or may become, the name of a
// target this language generates: the per-variant names with or without a
// variant suffix, the repository, and the per-entry and per-variant
// helpers (layer_files_*, deb_config_*, ...).
func isGeneratedName(name string) bool {
	if name == repositoryName {
		return true
	}
	for _, base := range append(append(slices.Clone(perVariantNames), helperNames...), layerName+"_files", archiveName+"_files", filesName) {
		if name == base || strings.HasPrefix(name, base+"_") {
			return true
		}
	}
	return false
}

// targetName is the name of the per-variant target base for t.
func targetName(base string, t metadata.Target) string {
	if t.Named {
		return base + "_" + t.Variant.Name
	}
	return base
}

// platformName is the name of the per-variant target base for t and
// platform pl.
func platformName(base string, t metadata.Target, pl platform.Platform) string {
	return targetName(base, t) + "_" + pl.Name
}

// protocolRules returns every rule of one protocol, in the order a new BUILD
// file lists them.
func protocolRules(repo *spec.Repo, p *spec.Protocol, buildFile string) []*rule.Rule {
	var rules []*rule.Rule
	mappings := map[string]manifestMappings{}
	for _, pl := range p.Platforms {
		m := manifestRules(p, pl)
		mappings[pl.Name] = m
		rules = append(rules, m.built...)
		rules = append(rules, m.inImage...)
		rules = append(rules, m.inArchive...)
	}
	for _, t := range p.Targets {
		rules = append(rules, variantRules(repo, p, t, mappings, buildFile)...)
	}
	repository := rule.NewRule("image_repository", repositoryName)
	repository.SetAttr("image", p.Name)
	rules = append(rules, repository)

	if !p.DefaultTarget().Named {
		return rules
	}
	for _, base := range []string{imageName, loadName, archiveName, debName} {
		alias := rule.NewRule("alias", base)
		alias.SetAttr("actual", ":"+targetName(base, p.DefaultTarget()))
		rules = append(rules, alias)
	}
	// push and publish do it for every variant, one after another.
	for _, base := range []string{pushName, publishName} {
		var commands []string
		for _, t := range p.Targets {
			commands = append(commands, ":"+targetName(base, t))
		}
		all := rule.NewRule("multirun", base)
		all.SetAttr("commands", commands)
		rules = append(rules, all)
	}
	return rules
}

// manifestMappings are one platform's rules of every MANIFEST entry.
type manifestMappings struct {
	built, inImage, inArchive []*rule.Rule
}

// manifestRules returns, for each MANIFEST entry and platform pl, its
// source built for pl (a platform transition, whatever the host: never a
// binary of the host's in a Linux artifact) and the mappings that place it
// in the image (at the entry's path) and in the release archive (flat, at
// its basename). The basename is set by renames, so a source whose file is
// named otherwise still lands where MANIFEST says. Every variant's layer
// and archive of pl share them.
func manifestRules(p *spec.Protocol, pl platform.Platform) manifestMappings {
	var m manifestMappings
	for _, e := range p.Manifest {
		built := rule.NewRule("platform_files", filesName+"_"+e.Base()+"_"+pl.Name)
		built.SetAttr("src", p.Source(e).String())
		built.SetAttr("platform", p.RulesGoPlatform(pl))
		m.built = append(m.built, built)
		source := ":" + built.Name()

		mode := manifestMode(e)
		image := rule.NewRule("pkg_files", layerName+"_files_"+e.Base()+"_"+pl.Name)
		image.SetAttr("srcs", []string{source})
		image.SetAttr("prefix", strings.TrimPrefix(path.Dir(e.Path), "/"))
		image.SetAttr("renames", map[string]string{source: e.Base()})
		image.SetAttr("attributes", mode)
		m.inImage = append(m.inImage, image)

		flat := rule.NewRule("pkg_files", archiveName+"_files_"+e.Base()+"_"+pl.Name)
		flat.SetAttr("srcs", []string{source})
		flat.SetAttr("renames", map[string]string{source: e.Base()})
		flat.SetAttr("attributes", mode)
		m.inArchive = append(m.inArchive, flat)
	}
	return m
}

// manifestMode is the pkg_files attributes of a MANIFEST entry:
// pkg_attributes(mode = ...). Without them pkg_files gives every file mode
// 0644, which wins over pkg_tar's own mode (rules_pkg 1.3.0
// pkg/mappings.bzl, pkg/private/tar/build_tar.py; docs/rulesets.md), and
// the service could not be executed. The mode comes from package packaging,
// the one statement of what ships with which mode.
func manifestMode(e metadata.Entry) fileAttributes {
	return fileAttributes{mode: fmt.Sprintf("%04o", packaging.EntryMode(e))}
}

// fileAttributes is the value pkg_attributes(mode = ...) of a pkg_files
// rule. Gazelle's merger merges only strings, lists, dicts and selects, so
// the value merges itself: the generated call replaces the file's, unless
// "# keep" pins it.
type fileAttributes struct{ mode string }

func (a fileAttributes) BzlExpr() bzl.Expr {
	return &bzl.CallExpr{
		X: &bzl.Ident{Name: "pkg_attributes"},
		List: []bzl.Expr{&bzl.AssignExpr{
			LHS: &bzl.Ident{Name: "mode"},
			Op:  "=",
			RHS: &bzl.StringExpr{Value: a.mode},
		}},
	}
}

func (a fileAttributes) Merge(bzl.Expr) bzl.Expr { return a.BzlExpr() }

// dropped is the value of a stale rule's attribute: merged into the
// file's value, whatever its shape, it deletes it (a nil merge result).
// Its expression is a list so that gazelle, which copies scalars over
// without asking, asks it to merge.
type dropped struct{}

func (dropped) BzlExpr() bzl.Expr       { return &bzl.ListExpr{} }
func (dropped) Merge(bzl.Expr) bzl.Expr { return nil }

func labels(rules []*rule.Rule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = ":" + r.Name()
	}
	return out
}

// variantRules returns the rules of one variant: per platform the layer,
// the image, the release archive, its upload and the Debian package; the
// index of the images, pushed and loaded under the variant's tag; and the
// archive, deb and publish targets of every platform together.
func variantRules(repo *spec.Repo, p *spec.Protocol, t metadata.Target, mappings map[string]manifestMappings, buildFile string) []*rule.Rule {
	// The same facts twice: annotations on the manifests for registries
	// and crane, labels in the config for `docker inspect`.
	facts := annotations(repo, p, t)
	var rules, images, loads, archives, debs, publishes []*rule.Rule
	for _, pl := range p.Platforms {
		m := mappings[pl.Name]
		// The layer is gzip-compressed, as registries store base layers:
		// pushes and pulls move a third of the bytes. rules_oci reads the
		// compression from the file (oci/private/descriptor.sh), and the
		// .deb's data tar takes the layer's entries from it as from a plain
		// tar (tar_writer.py add_tar opens "r:*").
		layer := rule.NewRule("pkg_tar", platformName(layerName, t, pl))
		layer.SetAttr("srcs", labels(m.inImage))
		layer.SetAttr("extension", "tar.gz")
		setDeterministic(layer)

		image := rule.NewRule("oci_image", platformName(imageName, t, pl))
		// The base's platform repository, not its alias: the alias selects
		// on the target CPU only, and the image is this platform's whatever
		// the host. The base's config gives the image its os, architecture
		// and variant, which the index lists it under.
		image.SetAttr("base", "@"+pl.BaseRepository(t.Variant.Base))
		image.SetAttr("tars", []string{":" + layer.Name()})
		image.SetAttr("entrypoint", []string{p.Service.Path})
		image.SetAttr("user", nonRootUser)
		image.SetAttr("annotations", facts)
		image.SetAttr("labels", facts)
		image.SetPrivateAttr(labelsAttr, facts)
		images = append(images, image)

		// This platform's image loaded alone: what :load picks for the
		// host, and what the structure test reads.
		load := rule.NewRule("oci_load", platformName(loadName, t, pl))
		load.SetAttr("image", ":"+image.Name())
		load.SetAttr("repo_tags", []string{p.Name + ":" + p.ImageTag(t)})
		loads = append(loads, load)

		// This platform's image alone, by digest: pushed with no tag
		// unless the caller gives one (`-- --tag ...`), so that it never
		// replaces the index under the variant's tag.
		single := rule.NewRule("oci_push", platformName(pushName, t, pl))
		single.SetAttr("image", ":"+image.Name())
		single.SetAttr("repository_file", ":"+repositoryName)

		archive := rule.NewRule("pkg_tar", platformName(archiveName, t, pl))
		archive.SetAttr("srcs", labels(m.inArchive))
		archive.SetAttr("extension", "tar.gz")
		setDeterministic(archive)
		archive.SetAttr("package_file_name", p.PlatformArchiveName(t, pl))
		archives = append(archives, archive)

		publish := rule.NewRule("protocol_publish", platformName(publishName, t, pl))
		publish.SetAttr("archive", ":"+archive.Name())
		publish.SetAttr("protocol", p.Name)
		if t.Named {
			publish.SetAttr("variant", t.Variant.Name)
		}
		if pl.Name != platform.Default().Name {
			publish.SetAttr("platform", pl.OCI)
		}
		publishes = append(publishes, publish)

		debRules := debRules(repo, p, t, pl, layer, buildFile)
		debs = append(debs, debRules[len(debRules)-1])
		rules = append(rules, layer, image, load, single, archive, publish)
		rules = append(rules, debRules...)
		rules = append(rules, testRules(p, t, pl, image, load, layer, debRules[0], debRules[len(debRules)-1])...)
	}

	index := rule.NewRule("oci_image_index", targetName(imageName, t))
	index.SetAttr("images", labels(images))
	index.SetAttr("annotations", facts)

	tag := p.ImageTag(t)
	load := rule.NewRule("alias", targetName(loadName, t))
	load.SetAttr("actual", hostLoad(loads))

	push := rule.NewRule("oci_push", targetName(pushName, t))
	push.SetAttr("image", ":"+index.Name())
	push.SetAttr("repository_file", ":"+repositoryName)
	push.SetAttr("remote_tags", []string{tag})

	archive := rule.NewRule("filegroup", targetName(archiveName, t))
	archive.SetAttr("srcs", labels(archives))
	deb := rule.NewRule("filegroup", targetName(debName, t))
	deb.SetAttr("srcs", labels(debs))
	publish := rule.NewRule("multirun", targetName(publishName, t))
	publish.SetAttr("commands", labels(publishes))
	return append(rules, index, load, push, archive, deb, publish)
}

// hostLoad is what :load runs: the oci_load of one platform's image (an
// oci_load of the index would need format "oci" and a containerd image
// store; rules_oci load.bzl), the one of the target platform's CPU, which
// is the host's unless --platforms says otherwise. rules_oci's own oci.pull
// alias selects its images the same way (oci/private/pull.bzl). linux/amd64
// is the default: a host of another CPU gets the image its container
// runtime emulates most widely.
func hostLoad(loads []*rule.Rule) interface{} {
	if len(loads) == 1 {
		return ":" + loads[0].Name()
	}
	cases := map[string]string{}
	for _, img := range loads {
		pl := imagePlatform(img)
		key := "//conditions:default"
		if pl.Name != platform.Default().Name {
			key = "@platforms//cpu:" + pl.GOARCH
		}
		cases[key] = ":" + img.Name()
	}
	return selectString(cases)
}

// selectString is select({condition: label, ...}) of one label per
// condition, in sorted order; like fileAttributes it merges by replacing.
type selectString map[string]string

func (s selectString) BzlExpr() bzl.Expr {
	dict := &bzl.DictExpr{ForceMultiLine: true}
	for _, k := range slices.Sorted(maps.Keys(s)) {
		dict.List = append(dict.List, &bzl.KeyValueExpr{Key: &bzl.StringExpr{Value: k}, Value: &bzl.StringExpr{Value: s[k]}})
	}
	return &bzl.CallExpr{X: &bzl.Ident{Name: "select"}, List: []bzl.Expr{dict}}
}

func (s selectString) Merge(bzl.Expr) bzl.Expr { return s.BzlExpr() }

// imagePlatform is the platform whose name ends img's name (a
// per-platform image or load).
func imagePlatform(img *rule.Rule) platform.Platform {
	for _, pl := range platform.All() {
		if strings.HasSuffix(img.Name(), "_"+pl.Name) {
			return pl
		}
	}
	return platform.Default()
}

// debRules returns the rules of target t's Debian package: the render
// action, the mapping of what it renders into the installed tree, the data
// tar (the layer plus that tree) and the pkg_deb, whose control attributes
// come from the same Go code that renders the control file.
func debRules(repo *spec.Repo, p *spec.Protocol, t metadata.Target, pl platform.Platform, layer *rule.Rule, buildFile string) []*rule.Rule {
	opts, err := debian.LoadOptions(repo, p)
	if err != nil {
		log.Printf("%s: %v", p.Dir, err)
	}
	pkg := debian.OutlineOf(repo, p, t, pl, opts)
	files := rule.NewRule("deb_files", platformName(debFilesName, t, pl))
	out := func(name string) string { return files.Name() + "/" + name }
	srcs := append([]string(nil), p.Files...)
	if opts.DropIn != "" {
		srcs = append(srcs, debian.DropInFile)
	}
	srcs = append(srcs, buildFile, "//:BUILD.bazel")
	files.SetAttr("srcs", srcs)
	files.SetAttr("protocol", p.Name)
	if t.Named {
		files.SetAttr("variant", t.Variant.Name)
	}
	files.SetAttr("architecture", pl.Debian)
	var root []string
	for _, name := range pkg.RootFiles {
		root = append(root, out(name))
	}
	files.SetAttr("root_files", root)
	files.SetAttr("control", out(debian.ControlName))
	files.SetAttr("description", out(debian.DescriptionName))
	files.SetAttr("conffiles", out(debian.ConffilesName))
	files.SetAttr("layout", out(debian.LayoutName))
	for _, script := range debian.Scripts {
		files.SetAttr(script, out(script))
	}

	config := rule.NewRule("pkg_files", platformName(debConfigName, t, pl))
	config.SetAttr("srcs", []string{":" + files.Name()})
	config.SetAttr("strip_prefix", out(debian.RootDir))

	// The data tar is compressed as dpkg-deb compresses it (lintian rejects
	// an uncompressed one); the layer's entries are merged into it with
	// their modes (tar_writer.py add_tar), the rendered files are 0644.
	data := rule.NewRule("pkg_tar", platformName(debDataName, t, pl))
	data.SetAttr("srcs", []string{":" + config.Name()})
	data.SetAttr("deps", []string{":" + layer.Name()})
	data.SetAttr("extension", packaging.DebDataExtension)
	data.SetAttr("mode", "0644")
	data.SetAttr("owner", fileOwner)
	data.SetAttr("portable_mtime", true)

	// pkg_deb runs its control-field attributes (package, version,
	// maintainer, homepage, depends, ...; deb.bzl) through str.format, so
	// values that come from the protocol's files are escaped; the
	// description, the freest text, comes from a file that pkg_deb reads
	// verbatim.
	c := pkg.Control
	literal := func(s string) string {
		escaped, err := escape.RulesPkgString(s)
		if err != nil {
			log.Printf("%s: %v", p.Dir, err)
		}
		return escaped
	}
	deb := rule.NewRule("pkg_deb", platformName(debName, t, pl))
	deb.SetAttr("data", ":"+data.Name())
	deb.SetAttr("package", literal(c.Package))
	deb.SetAttr("version", literal(c.Version))
	deb.SetAttr("section", c.Section)
	deb.SetAttr("priority", c.Priority)
	deb.SetAttr("architecture", c.Architecture)
	if len(c.Depends) > 0 {
		depends := make([]string, len(c.Depends))
		for i, d := range c.Depends {
			depends[i] = literal(d)
		}
		deb.SetAttr("depends", depends)
	}
	if len(c.Conflicts) > 0 {
		conflicts := make([]string, len(c.Conflicts))
		for i, name := range c.Conflicts {
			conflicts[i] = literal(name)
		}
		deb.SetAttr("conflicts", conflicts)
	}
	deb.SetAttr("maintainer", literal(c.Maintainer))
	deb.SetAttr("description_file", ":"+out(debian.DescriptionName))
	if c.Homepage != "" {
		deb.SetAttr("homepage", literal(c.Homepage))
	}
	deb.SetAttr("distribution", c.Distribution)
	for _, script := range debian.Scripts {
		deb.SetAttr(script, ":"+out(script))
	}
	deb.SetAttr("conffiles", pkg.Conffiles)
	deb.SetAttr("package_file_name", c.FileName())
	return []*rule.Rule{files, config, data, deb}
}

// testRules returns the tests `bazel test //protocols/...` runs on what
// variant t ships for platform pl, none of which needs docker or a network:
//   - container_structure_test with its tar driver over oci_load's tarball
//     (the driver takes only a .tar file; rules_oci's oci_load gives it as
//     the "tarball" output group): entrypoint, user, labels, and each
//     MANIFEST path with its mode (owners: see structureConfig);
//   - layer_run_test: the entrypoint run from the layer with the version
//     arguments, on a host of the image's platform only (Bazel skips it
//     elsewhere and says so: target_compatible_with);
//   - deb_test: the .deb against what its deb_files rendered.
func testRules(p *spec.Protocol, t metadata.Target, pl platform.Platform, image, load, layer, files, deb *rule.Rule) []*rule.Rule {
	tarball := rule.NewRule("filegroup", platformName(tarballName, t, pl))
	tarball.SetAttr("srcs", []string{":" + load.Name()})
	tarball.SetAttr("output_group", "tarball")
	tarball.SetAttr("testonly", true)

	config := rule.NewRule("write_file", platformName(structureConfigName, t, pl))
	config.SetAttr("out", config.Name()+".yaml")
	config.SetAttr("content", structureConfig(p, image))
	config.SetAttr("newline", "unix")
	config.SetAttr("testonly", true)

	structure := rule.NewRule("container_structure_test", platformName(structureTestName, t, pl))
	structure.SetAttr("configs", []string{":" + config.Name()})
	structure.SetAttr("driver", "tar")
	structure.SetAttr("image", ":"+tarball.Name())
	// The image's platform; the tar driver reads no platform (only the
	// docker driver uses it, pkg/drivers/driver.go at v1.22.1), but the
	// rule would pass linux/amd64 for an arm64 image.
	structure.SetAttr("platform", pl.OCI)

	run := rule.NewRule("layer_run_test", platformName(runTestName, t, pl))
	run.SetAttr("layer", ":"+layer.Name())
	run.SetAttr("entrypoint", []string{p.Service.Path})
	run.SetAttr("version_args", p.VersionArgs)
	run.SetAttr("version", p.PrintedVersion())
	if p.KnownFailure != "" {
		run.SetAttr("known_failure", p.KnownFailure)
	}
	run.SetAttr("target_compatible_with", pl.Constraints())

	debTest := rule.NewRule("deb_test", platformName(debTestName, t, pl))
	debTest.SetAttr("deb", ":"+deb.Name())
	debTest.SetAttr("rendered", ":"+files.Name())
	return []*rule.Rule{tarball, config, structure, run, debTest}
}

// structureConfig is container-structure-test's configuration for image,
// in YAML as the lines write_file joins: the image's metadata, and each
// MANIFEST entry present with the mode it ships with. Not its owner: the
// tar driver stats the unpacked files, and its ownership check wants a tar
// header (pkg/types/v2/file_existence.go:149-165 at v1.22.1), so any uid
// fails it; layer_run_test checks the owner instead. Every
// string is quoted (yamlString), so that none reads as a number or a
// time ("65532:65532" would be a base-60 integer in YAML 1.1).
func structureConfig(p *spec.Protocol, image *rule.Rule) []string {
	lines := []string{
		"schemaVersion: " + yamlString("2.0.0"),
		"metadataTest:",
	}
	var entrypoint []string
	for _, arg := range image.AttrStrings("entrypoint") {
		entrypoint = append(entrypoint, yamlString(arg))
	}
	lines = append(lines,
		"  entrypoint: ["+strings.Join(entrypoint, ", ")+"]",
		"  user: "+yamlString(image.AttrString("user")),
	)
	labels, _ := image.PrivateAttr(labelsAttr).(map[string]string)
	if len(labels) > 0 {
		lines = append(lines, "  labels:")
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			lines = append(lines, "    - key: "+yamlString(k), "      value: "+yamlString(labels[k]))
		}
	}
	lines = append(lines, "fileExistenceTests:")
	for _, e := range p.Manifest {
		lines = append(lines,
			"  - name: "+yamlString(e.Path),
			"    path: "+yamlString(e.Path),
			"    shouldExist: true",
			"    permissions: "+yamlString(packaging.EntryMode(e).String()),
		)
	}
	return lines
}

// yamlString quotes s for YAML: single-quoted, whose only escape is a
// doubled quote, when s is printable ASCII (what metadata allows);
// anything else double-quoted with every other character escaped, since
// YAML forbids raw control characters and folds line breaks, U+0085 among
// them, inside single quotes.
func yamlString(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r > 0x7e }) < 0 {
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "\\U%08x", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func setDeterministic(r *rule.Rule) {
	r.SetAttr("mode", fileMode)
	r.SetAttr("owner", fileOwner)
	r.SetAttr("portable_mtime", true)
}

// annotations are the image's OCI annotations, from the protocol's files and
// directives; unknown ones are left out rather than guessed.
func annotations(repo *spec.Repo, p *spec.Protocol, t metadata.Target) map[string]string {
	const prefix = "org.opencontainers.image."
	a := map[string]string{
		prefix + "title":       p.Name,
		prefix + "version":     p.ImageTag(t),
		prefix + "description": p.Description,
	}
	if p.Version != "" {
		a[prefix+"revision"] = p.Version
	}
	if p.Upstream != "" {
		a[prefix+"url"] = p.Upstream
	}
	if repo.RepositoryURL != "" {
		a[prefix+"source"] = repo.RepositoryURL + "/tree/main/" + path.Clean(p.Dir)
	}
	return a
}
