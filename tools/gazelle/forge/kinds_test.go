package forge

import "testing"

// A repository that renames a ruleset with repo_name gets loads under that
// name; our own rules keep their main-repository label.
func TestApparentLoadsFollowRepoNames(t *testing.T) {
	names := map[string]string{"rules_oci": "oci", "rules_pkg": "rules_pkg"}
	got := map[string]bool{}
	for _, l := range (&forgeLang{}).ApparentLoads(func(m string) string { return names[m] }) {
		got[l.Name] = true
	}
	for _, want := range []string{"@oci//oci:defs.bzl", "@rules_pkg//pkg:tar.bzl", "@rules_multirun//:defs.bzl", "//rules:image.bzl"} {
		if !got[want] {
			t.Errorf("loads %v lack %s", got, want)
		}
	}
}

// Every kind the generator emits has a load, but Bazel's own, or gazelle would write a call
// to an undefined symbol.
func TestEveryKindIsLoaded(t *testing.T) {
	loaded := map[string]bool{}
	for _, l := range (&forgeLang{}).Loads() {
		for _, s := range l.Symbols {
			loaded[s] = true
		}
	}
	for kind := range kinds {
		if !loaded[kind] && !nativeKinds[kind] {
			t.Errorf("kind %s has no load", kind)
		}
	}
}
