package forge

import "github.com/bazelbuild/bazel-gazelle/rule"

// Rule kinds the language emits. Every attribute it writes is mergeable, so
// that a change in a protocol's files reaches its BUILD file on the next run;
// "# keep" pins one by hand.
var kinds = map[string]rule.KindInfo{
	"pkg_files": {
		NonEmptyAttrs:  set("srcs"),
		MergeableAttrs: set("srcs", "prefix", "renames", "strip_prefix", "attributes"),
	},
	"deb_files": {
		NonEmptyAttrs: set("srcs"),
		MergeableAttrs: set("srcs", "protocol", "variant", "architecture", "root_files", "control", "description", "conffiles", "layout",
			"postinst", "prerm", "postrm"),
	},
	"pkg_tar": {
		NonEmptyAttrs:  set("srcs", "deps"),
		MergeableAttrs: set("srcs", "deps", "extension", "mode", "owner", "portable_mtime", "package_file_name"),
	},
	"oci_image": {
		NonEmptyAttrs:  set("base", "tars"),
		MergeableAttrs: set("base", "tars", "entrypoint", "user", "annotations", "labels"),
	},
	"oci_image_index": {
		NonEmptyAttrs:  set("images"),
		MergeableAttrs: set("images", "annotations"),
	},
	"platform_files": {
		NonEmptyAttrs:  set("src"),
		MergeableAttrs: set("src", "platform"),
	},
	"oci_push": {
		NonEmptyAttrs:  set("image"),
		MergeableAttrs: set("image", "repository_file", "remote_tags"),
	},
	"oci_load": {
		NonEmptyAttrs:  set("image"),
		MergeableAttrs: set("image", "repo_tags"),
	},
	"pkg_deb": {
		NonEmptyAttrs: set("data"),
		MergeableAttrs: set("data", "package", "package_file_name", "version", "architecture",
			"maintainer", "description", "description_file", "depends", "conflicts", "distribution", "homepage", "section", "priority",
			"preinst", "postinst", "prerm", "postrm", "conffiles", "conffiles_file"),
	},
	"multirun": {
		NonEmptyAttrs:  set("commands"),
		MergeableAttrs: set("commands"),
	},
	"protocol_publish": {
		NonEmptyAttrs:  set("archive"),
		MergeableAttrs: set("archive", "protocol", "variant", "platform"),
	},
	"image_repository": {
		NonEmptyAttrs:  set("image"),
		MergeableAttrs: set("image"),
	},
	"filegroup": {
		NonEmptyAttrs:  set("srcs"),
		MergeableAttrs: set("srcs", "output_group", "testonly"),
	},
	"write_file": {
		NonEmptyAttrs:  set("out"),
		MergeableAttrs: set("out", "content", "newline", "testonly"),
	},
	"container_structure_test": {
		NonEmptyAttrs:  set("image", "configs"),
		MergeableAttrs: set("image", "configs", "driver", "platform"),
	},
	"layer_run_test": {
		NonEmptyAttrs:  set("layer"),
		MergeableAttrs: set("layer", "entrypoint", "version_args", "version", "known_failure", "target_compatible_with"),
	},
	"deb_test": {
		NonEmptyAttrs:  set("deb"),
		MergeableAttrs: set("deb", "rendered"),
	},
}

// nativeKinds are Bazel's own rules, which need no load.
var nativeKinds = set("filegroup")

func set(attrs ...string) map[string]bool {
	m := make(map[string]bool, len(attrs))
	for _, a := range attrs {
		m[a] = true
	}
	return m
}

func (*forgeLang) Kinds() map[string]rule.KindInfo { return kinds }

// loads says where each kind comes from, by Bazel module. The label of our
// own rules has no module: they live in this repository.
var loads = []struct {
	module, file string
	symbols      []string
}{
	{"rules_oci", "//oci:defs.bzl", []string{"oci_image", "oci_image_index", "oci_load", "oci_push"}},
	{"rules_pkg", "//pkg:deb.bzl", []string{"pkg_deb"}},
	{"rules_pkg", "//pkg:mappings.bzl", []string{"pkg_attributes", "pkg_files"}},
	{"rules_pkg", "//pkg:tar.bzl", []string{"pkg_tar"}},
	{"rules_multirun", "//:defs.bzl", []string{"multirun"}},
	{"bazel_skylib", "//rules:write_file.bzl", []string{"write_file"}},
	{"container_structure_test", "//:defs.bzl", []string{"container_structure_test"}},
	{"", "//rules:deb.bzl", []string{"deb_files"}},
	{"", "//rules:image.bzl", []string{"image_repository"}},
	{"", "//rules:platform.bzl", []string{"platform_files"}},
	{"", "//rules:publish.bzl", []string{"protocol_publish"}},
	{"", "//rules:test.bzl", []string{"deb_test", "layer_run_test"}},
}

// Loads gives the load statements under the modules' own names, for a
// repository that does not rename them.
func (l *forgeLang) Loads() []rule.LoadInfo {
	return l.ApparentLoads(func(string) string { return "" })
}

// ApparentLoads names each module as MODULE.bazel makes it visible
// (repo_name), falling back to the module's own name.
func (*forgeLang) ApparentLoads(moduleToApparentName func(string) string) []rule.LoadInfo {
	infos := make([]rule.LoadInfo, len(loads))
	for i, l := range loads {
		repo := ""
		if l.module != "" {
			repo = "@" + l.module
			if name := moduleToApparentName(l.module); name != "" {
				repo = "@" + name
			}
		}
		infos[i] = rule.LoadInfo{Name: repo + l.file, Symbols: l.symbols}
	}
	return infos
}
