"""`bazel run` target that uploads a release archive's files with `forge publish`."""

load("@bazel_skylib//lib:shell.bzl", "shell")

visibility("//rules/...")

def _publish_impl(ctx):
    args = ["publish", "-protocol", ctx.attr.protocol, "-archive", ctx.file.archive.short_path]
    if ctx.attr.variant:
        args.extend(["-target", ctx.attr.variant])
    if ctx.attr.platform:
        args.extend(["-platform", ctx.attr.platform])
    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")

    # bazel run starts the launcher in its runfiles tree, where short paths
    # of this repository's files resolve; forge finds the repository through
    # BUILD_WORKSPACE_DIRECTORY.
    ctx.actions.write(
        output = launcher,
        content = "#!/usr/bin/env bash\nset -euo pipefail\nexec {forge} {args} \"$@\"\n".format(
            forge = shell.quote(ctx.executable._forge.short_path),
            args = " ".join([shell.quote(a) for a in args]),
        ),
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = [ctx.executable._forge, ctx.file.archive])
    runfiles = runfiles.merge(ctx.attr._forge[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles)]

protocol_publish = rule(
    implementation = _publish_impl,
    doc = """Uploads the MANIFEST files in a protocol's release archive to S3-compatible storage at NAME/TARGET/VERSION/FILE (NAME/TARGET-linux-arm64/VERSION/FILE for linux/arm64).

The bucket comes from $FORGE_S3_BUCKET, an S3-compatible endpoint from
$FORGE_S3_ENDPOINT, credentials and region from the AWS SDK's environment.""",
    executable = True,
    attrs = {
        "archive": attr.label(
            doc = "The variant's release archive (.tar.gz).",
            allow_single_file = [".tar.gz"],
            mandatory = True,
        ),
        "platform": attr.string(doc = "The platform the archive is for, as forge_platforms names it (linux/arm64); empty for linux/amd64."),
        "protocol": attr.string(doc = "The protocol's name.", mandatory = True),
        "variant": attr.string(doc = "The TARGETS variant; empty for a protocol without TARGETS."),
        "_forge": attr.label(
            default = "//tools/forge",
            executable = True,
            cfg = "target",
        ),
    },
)
