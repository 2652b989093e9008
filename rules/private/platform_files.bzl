"""The files of a target built for one platform, whatever the host."""

visibility("//rules/...")

def _platform_transition_impl(_settings, attr):
    # The same setting rules_go's go_cross_binary changes
    # (go/private/rules/transition.bzl, _go_cross_transition_impl): under
    # one of rules_go's platforms a go_binary without goos/goarch builds
    # for that platform, pure Go (its cgo_off constraint).
    return {"//command_line_option:platforms": str(attr.platform)}

_platform_transition = transition(
    implementation = _platform_transition_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _platform_files_impl(ctx):
    # An attribute with a transition is a list in ctx.attr (Bazel's
    # "Accessing attributes with transitions"); ctx.files has its files.
    return [DefaultInfo(files = depset(ctx.files.src))]

platform_files = rule(
    implementation = _platform_files_impl,
    doc = """The default outputs of `src` built for `platform`.

A MANIFEST entry's source goes through one of these per platform, so that
every layer, archive and .deb holds the files of its own platform, from any
host. A source that fixes its own platform (a go_cross_binary with
`platform`, a go_binary with `goos`/`goarch`) would override it; forge check
refuses those.""",
    attrs = {
        "platform": attr.label(
            doc = "The platform to build `src` for: rules_go's `@rules_go//go/toolchain:linux_<arch>`.",
            mandatory = True,
        ),
        "src": attr.label(
            doc = "The target whose files to build: a MANIFEST entry's source.",
            allow_files = True,
            mandatory = True,
            cfg = _platform_transition,
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
