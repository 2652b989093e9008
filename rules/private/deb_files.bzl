"""Renders a protocol's Debian package files with `forge render`."""

visibility("//rules/...")

DebFilesInfo = provider(
    doc = "Everything one deb_files target rendered, for the .deb test to compare the built package with.",
    fields = {
        "files": "depset of every rendered file",
        "layout": "File: layout.txt; the other files sit beside it under their forge render names",
    },
)

def _deb_files_impl(ctx):
    scripts = [ctx.outputs.control, ctx.outputs.description, ctx.outputs.conffiles, ctx.outputs.layout, ctx.outputs.postinst, ctx.outputs.prerm, ctx.outputs.postrm]
    outputs = scripts + ctx.outputs.root_files

    # forge render writes fixed names under -out; every declared output sits
    # in the directory named after this target.
    out_dir = ctx.outputs.control.dirname
    args = ctx.actions.args()
    args.add("render")
    args.add("-repo_root", ".")
    args.add("-protocol", ctx.attr.protocol)
    if ctx.attr.variant:
        args.add("-target", ctx.attr.variant)
    if ctx.attr.architecture:
        args.add("-arch", ctx.attr.architecture)
    args.add("-out", out_dir)
    ctx.actions.run(
        executable = ctx.executable._forge,
        arguments = [args],
        inputs = ctx.files.srcs,
        outputs = outputs,
        mnemonic = "ForgeRenderDeb",
        progress_message = "Rendering the Debian package files of %{label}",
    )
    return [
        DefaultInfo(files = depset(ctx.outputs.root_files)),
        DebFilesInfo(files = depset(outputs), layout = ctx.outputs.layout),
    ]

deb_files = rule(
    implementation = _deb_files_impl,
    doc = """Runs `forge render` for one variant of a protocol and one Debian architecture.

The outputs are predeclared so that pkg_deb can name each one; gazelle lists
them from the same Go code that renders them. The default outputs are the
files the package installs, under `<name>/root/`.""",
    attrs = {
        "architecture": attr.string(doc = "The Debian architecture the control file names (amd64, arm64); empty for amd64."),
        "conffiles": attr.output(doc = "The conffiles list.", mandatory = True),
        "control": attr.output(doc = "DEBIAN/control as pkg_deb writes it, for comparison.", mandatory = True),
        "description": attr.output(doc = "The Description field's value, for pkg_deb's description_file (read verbatim, unlike its description attribute).", mandatory = True),
        "layout": attr.output(doc = "layout.txt: every installed path and its source.", mandatory = True),
        "postinst": attr.output(doc = "The postinst script.", mandatory = True),
        "postrm": attr.output(doc = "The postrm script.", mandatory = True),
        "prerm": attr.output(doc = "The prerm script.", mandatory = True),
        "protocol": attr.string(doc = "The protocol's name.", mandatory = True),
        "root_files": attr.output_list(doc = "The installed files, under `<name>/root/`.", mandatory = True),
        "srcs": attr.label_list(
            doc = "Every file forge render reads: the protocol's metadata and BUILD file, and the root BUILD file.",
            allow_files = True,
            mandatory = True,
        ),
        "variant": attr.string(doc = "The TARGETS variant; empty for a protocol without TARGETS."),
        "_forge": attr.label(
            default = "//tools/forge",
            executable = True,
            cfg = "exec",
        ),
    },
)
