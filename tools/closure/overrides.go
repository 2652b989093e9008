package closure

// Gazelle's own per-module defaults, which go_deps applies to a module that
// has no gazelle_override of ours (go_deps.bzl:143-168), copied from
// internal/bzlmod/default_gazelle_overrides.bzl at gazelle v0.53.0. Each
// entry's comment is its line there.

// defaultBuildFileGeneration is DEFAULT_BUILD_FILE_GENERATION_BY_PATH
// (default_gazelle_overrides.bzl:17-25).
var defaultBuildFileGeneration = map[string]string{
	"cel.dev/expr":                              "on", // :18
	"github.com/bazelbuild/remote-apis-sdks":    "on", // :19
	"github.com/cncf/xds/go":                    "on", // :20
	"github.com/envoyproxy/protoc-gen-validate": "on", // :21
	"github.com/google/safetext":                "on", // :22
	"github.com/grpc-ecosystem/grpc-gateway/v2": "on", // :23
	"google.golang.org/grpc":                    "on", // :24
}

// defaultDirectives is DEFAULT_DIRECTIVES_BY_PATH
// (default_gazelle_overrides.bzl:27-177).
var defaultDirectives = map[string][]string{
	// :28
	"github.com/argoproj/argo-workflows/v3": {"gazelle:proto disable"},
	// :31
	"github.com/argoproj/argo-events": {"gazelle:proto disable", "gazelle:go_naming_convention import_alias"},
	// :35
	"github.com/argoproj/argo-rollouts": {"gazelle:proto disable"},
	// :38
	"github.com/DataDog/datadog-api-client-go/v2": {"gazelle:proto disable"},
	// :41
	"github.com/authzed/cel-go": {"gazelle:go_naming_convention go_default_library"},
	// :44
	"github.com/authzed/spicedb": {"gazelle:proto disable"},
	// :47
	"github.com/bufbuild/protocompile": {"gazelle:proto disable"},
	// :50
	"github.com/census-instrumentation/opencensus-proto": {"gazelle:proto disable"},
	// :53
	"github.com/envoyproxy/protoc-gen-validate": {"gazelle:build_file_name BUILD.bazel"},
	// :56
	"github.com/cockroachdb/errors": {"gazelle:proto disable"},
	// :59
	"github.com/colinmarc/hdfs/v2": {"gazelle:go_naming_convention import_alias", "gazelle:proto disable"},
	// :63
	"github.com/containerd/containerd": {"gazelle:proto disable"},
	// :66
	"github.com/containerd/containerd/api": {"gazelle:proto disable"},
	// :69
	"github.com/containerd/ttrpc": {"gazelle:proto disable"},
	// :72
	"github.com/gogo/googleapis": {"gazelle:proto disable"},
	// :75
	"github.com/gogo/protobuf": {"gazelle:proto disable"},
	// :78
	"github.com/google/cel-go": {"gazelle:go_naming_convention go_default_library"},
	// :81
	"github.com/google/gnostic": {"gazelle:proto disable"},
	// :84
	"github.com/google/gnostic-models": {"gazelle:proto disable"},
	// :87
	"github.com/google/go-jsonnet": {"gazelle:go_naming_convention go_default_library"},
	// :90
	"github.com/google/safetext": {"gazelle:build_file_name BUILD.bazel", "gazelle:build_file_proto_mode disable_global"},
	// :94
	"github.com/googleapis/gax-go/v2": {"gazelle:proto disable"},
	// :97
	"github.com/googleapis/gnostic": {"gazelle:proto disable"},
	// :100
	"github.com/grpc-ecosystem/grpc-gateway": {"gazelle:resolve go github.com/grpc-ecosystem/grpc-gateway/internal //internal:go_default_library", "gazelle:go_naming_convention import_alias", "gazelle:proto disable"},
	// :105
	"github.com/hashicorp/go-plugin": {"gazelle:proto disable"},
	// :108
	"github.com/lightstep/lightstep-tracer-common/golang/gogo": {"gazelle:proto disable"},
	// :111
	"github.com/prometheus/alertmanager": {"gazelle:proto disable"},
	// :114
	"github.com/prometheus/prometheus": {"gazelle:proto disable"},
	// :117
	"github.com/pseudomuto/protoc-gen-doc": {"gazelle:resolve go github.com/mwitkow/go-proto-validators @com_github_mwitkow_go_proto_validators//:validators_gogo"},
	// :122
	"github.com/stackb/rules_proto": {"gazelle:go_naming_convention import"},
	// :125
	"github.com/terraform-linters/tflint-plugin-sdk": {"gazelle:proto disable"},
	// :128
	"github.com/thanos-io/thanos": {"gazelle:proto disable"},
	// :131
	"github.com/weaveworks/common": {"gazelle:proto disable"},
	// :134
	"go.chromium.org/luci": {"gazelle:proto disable"},
	// :137
	"google.golang.org/grpc": {"gazelle:proto disable"},
	// :140
	"google.golang.org/protobuf": {"gazelle:proto disable"},
	// :143
	"k8s.io/api": {"gazelle:proto disable"},
	// :146
	"k8s.io/apiserver": {"gazelle:proto disable"},
	// :149
	"k8s.io/apiextensions-apiserver": {"gazelle:proto disable"},
	// :152
	"k8s.io/apimachinery": {"gazelle:go_generate_proto false", "gazelle:proto_import_prefix k8s.io/apimachinery"},
	// :156
	"k8s.io/cri-api": {"gazelle:proto disable"},
	// :159
	"k8s.io/kubelet": {"gazelle:proto disable"},
	// :162
	"k8s.io/kubernetes": {"gazelle:proto disable"},
	// :165
	"k8s.io/metrics": {"gazelle:proto disable"},
	// :168
	"storj.io/common": {"gazelle:proto legacy"},
	// :171
	"storj.io/eventkit": {"gazelle:proto legacy"},
	// :174
	"storj.io/picobuf": {"gazelle:proto legacy"},
}

// defaultBuildExtraArgs is DEFAULT_BUILD_EXTRA_ARGS_BY_PATH
// (default_gazelle_overrides.bzl:179-187).
var defaultBuildExtraArgs = map[string][]string{
	// :180
	"github.com/census-instrumentation/opencensus-proto": {"-exclude=src"},
	// :183
	"github.com/cronokirby/saferith": {"-exclude=arith_s390x_test.go"},
}
