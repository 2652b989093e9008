"""Public rule for building a target's files for one platform; generated BUILD files load it from here."""

load("//rules/private:platform_files.bzl", _platform_files = "platform_files")

platform_files = _platform_files
