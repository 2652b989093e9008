"""Public rules for protocol Debian packages; generated BUILD files load them from here."""

load("//rules/private:deb_files.bzl", _deb_files = "deb_files")

deb_files = _deb_files
