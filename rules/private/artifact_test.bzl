"""Tests of what a protocol ships, run by //tools/artifacttest/runner.

Both rules hand the runner its inputs as runfiles and its settings as
environment variables (RunEnvironmentInfo); the runner's package documents
the variables."""

load(":deb_files.bzl", "DebFilesInfo")

visibility("//rules/...")

def _runfiles_path(ctx, f):
    # A file's path in the runfiles tree: "<repository>/<path>". short_path
    # starts with "../<repository>/" for files of other repositories.
    if f.short_path.startswith("../"):
        return f.short_path[len("../"):]
    return ctx.workspace_name + "/" + f.short_path

def _runner_test(ctx, environment, files):
    # The runner itself is the test's executable: Bazel runs it with the
    # environment below, and it needs nothing from a shell.
    executable = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(
        output = executable,
        target_file = ctx.executable._runner,
        is_executable = True,
    )
    runfiles = ctx.runfiles(files = files).merge(ctx.attr._runner[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = executable, runfiles = runfiles),
        RunEnvironmentInfo(environment = environment),
    ]

_RUNNER = attr.label(
    default = "//tools/artifacttest/runner",
    executable = True,
    cfg = "target",
)

def _layer_run_test_impl(ctx):
    layer = ctx.file.layer
    return _runner_test(ctx, {
        "FORGE_ENTRYPOINT": json.encode(ctx.attr.entrypoint),
        "FORGE_KNOWN_FAILURE": ctx.attr.known_failure,
        "FORGE_LAYER": _runfiles_path(ctx, layer),
        "FORGE_TEST": "layer_run",
        "FORGE_VERSION": ctx.attr.version,
        "FORGE_VERSION_ARGS": json.encode(ctx.attr.version_args),
    }, [layer])

layer_run_test = rule(
    implementation = _layer_run_test_impl,
    doc = """Unpacks an image layer and runs the image's entrypoint from it with
the version arguments: it must be executable by a user that owns nothing in
the layer and print the version. It runs on the host, so the layer's
binaries must be for the host's OS and CPU: give the target a
target_compatible_with of the image's platform.""",
    test = True,
    attrs = {
        "entrypoint": attr.string_list(doc = "The image's entrypoint: a path in the image, then its arguments.", mandatory = True),
        "known_failure": attr.string(doc = "The message the command is known to fail with (forge_known_failure); the test then expects that failure."),
        "layer": attr.label(doc = "The layer tar.", allow_single_file = True, mandatory = True),
        "version": attr.string(doc = "What the version command must print.", mandatory = True),
        "version_args": attr.string_list(doc = "Arguments that make the entrypoint print its version."),
        "_runner": _RUNNER,
    },
)

def _deb_test_impl(ctx):
    rendered = ctx.attr.rendered[DebFilesInfo]
    return _runner_test(ctx, {
        "FORGE_DEB": _runfiles_path(ctx, ctx.file.deb),
        "FORGE_RENDERED_LAYOUT": _runfiles_path(ctx, rendered.layout),
        "FORGE_TEST": "deb",
    }, [ctx.file.deb] + rendered.files.to_list())

deb_test = rule(
    implementation = _deb_test_impl,
    doc = """Compares a built .deb with what its deb_files target rendered:
control file, conffiles, maintainer scripts, and exactly the installed
files of layout.txt with their owners, modes and contents.""",
    test = True,
    attrs = {
        "deb": attr.label(doc = "The pkg_deb target.", allow_single_file = [".deb"], mandatory = True),
        "rendered": attr.label(doc = "The deb_files target the package was made from.", providers = [DebFilesInfo], mandatory = True),
        "_runner": _RUNNER,
    },
)
