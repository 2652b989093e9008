package forge

import (
	"testing"

	"github.com/bazelbuild/bazel-gazelle/rule"
	bzl "github.com/bazelbuild/buildtools/build"
)

// Strings reach BUILD files through gazelle's rule package, which quotes
// them with buildtools: every hostile value is read back by Bazel's parser
// (buildtools') as the same string.
func TestHostileStringsRoundTripThroughBuildFiles(t *testing.T) {
	hostile := []string{
		"", `"`, `'`, `\`, `\"`, "a\nb", "\t", "{x}", "$(x)", "%n", "é", "\ufeff", "\x00", "\x7f",
		`""" triple`, "# not a comment", "a\\nb", "🚀",
	}
	f := rule.EmptyFile("protocols/x/BUILD.bazel", "protocols/x")
	r := rule.NewRule("oci_image", "image")
	annotations := map[string]string{}
	for i, s := range hostile {
		annotations[string(rune('a'+i))] = s
	}
	r.SetAttr("annotations", annotations)
	r.SetAttr("entrypoint", hostile)
	r.Insert(f)
	parsed, err := bzl.ParseBuild("BUILD.bazel", f.Format())
	if err != nil {
		t.Fatalf("the formatted file does not parse: %v\n%s", err, f.Format())
	}
	call := parsed.Rules("oci_image")[0]
	list, ok := call.Attr("entrypoint").(*bzl.ListExpr)
	if !ok || len(list.List) != len(hostile) {
		t.Fatalf("entrypoint read back as %v", call.Attr("entrypoint"))
	}
	for i, e := range list.List {
		if got := e.(*bzl.StringExpr).Value; got != hostile[i] {
			t.Errorf("%q read back as %q", hostile[i], got)
		}
	}
	for _, kv := range call.Attr("annotations").(*bzl.DictExpr).List {
		k := kv.Key.(*bzl.StringExpr).Value
		if got := kv.Value.(*bzl.StringExpr).Value; got != annotations[k] {
			t.Errorf("%q read back as %q", annotations[k], got)
		}
	}
}
