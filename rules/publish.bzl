"""Public rule for publishing protocol files; generated BUILD files load it from here."""

load("//rules/private:publish.bzl", _protocol_publish = "protocol_publish")

protocol_publish = _protocol_publish
