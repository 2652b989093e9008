"""Public test rules for what protocols ship; generated BUILD files load them from here."""

load("//rules/private:artifact_test.bzl", _deb_test = "deb_test", _layer_run_test = "layer_run_test")

deb_test = _deb_test
layer_run_test = _layer_run_test
