"""Public rules for protocol images; generated BUILD files load them from here."""

load("//rules/private:image_repository.bzl", _image_repository = "image_repository")

image_repository = _image_repository
