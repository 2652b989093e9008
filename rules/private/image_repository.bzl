"""The repository an image is pushed to: the registry setting plus a name."""

load("@bazel_skylib//rules:common_settings.bzl", "BuildSettingInfo")

visibility("//rules/...")

def _image_repository_impl(ctx):
    registry = ctx.attr._registry[BuildSettingInfo].value.rstrip("/")
    if not registry:
        fail("--//rules:registry is empty: set it to the registry and namespace to push to, e.g. --//rules:registry=ghcr.io/my-org")
    out = ctx.actions.declare_file(ctx.label.name + ".txt")

    # oci_push reads the file whole and drops its newlines (push.sh.tpl:
    # `tr -d "\n"`), so it holds exactly one line.
    ctx.actions.write(out, "{}/{}\n".format(registry, ctx.attr.image))
    return [DefaultInfo(files = depset([out]))]

image_repository = rule(
    implementation = _image_repository_impl,
    doc = """Writes `<registry>/<image>` to a file for oci_push's `repository_file`.

The registry comes from the `//rules:registry` build setting, so one flag on
the command line (or one line in .bazelrc) moves every push to another
registry: `bazel run //protocols/geth:push --//rules:registry=registry.example.com/team`.""",
    attrs = {
        "image": attr.string(
            doc = "The image's name within the registry, usually the protocol's name.",
            mandatory = True,
        ),
        "_registry": attr.label(
            default = "//rules:registry",
            providers = [BuildSettingInfo],
        ),
    },
)
