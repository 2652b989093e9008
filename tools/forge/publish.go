package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/platform"
	"github.com/protocol-forge/protocol-forge/tools/publish"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

// ociNames lists p's platforms as -platform takes them.
func ociNames(p *spec.Protocol) string {
	var names []string
	for _, pl := range p.Platforms {
		names = append(names, pl.OCI)
	}
	return strings.Join(names, ", ")
}

func init() {
	commands["publish"] = command{
		summary: "upload a release archive's MANIFEST files to S3 at NAME/TARGET/VERSION/FILE, NAME/TARGET-linux-arm64/VERSION/FILE for arm64 (bucket from $" + publish.BucketEnv + ")",
		run:     runPublish,
	}
}

func runPublish(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("publish", stderr)
	rootFlag := repoRootFlag(fs)
	name := fs.String("protocol", "", "the protocol")
	variantName := fs.String("target", "", "the variant; default: the protocol's first")
	archive := fs.String("archive", "", "the protocol's release archive (.tar.gz) for that variant and platform")
	platformName := fs.String("platform", platform.Default().OCI, "the platform the archive is for ("+platform.OCINames()+")")
	repo, err := loadRepo(fs, rootFlag, args, stderr)
	if err != nil {
		return err
	}
	bucket := os.Getenv(publish.BucketEnv)
	if *name == "" || *archive == "" || bucket == "" {
		return fmt.Errorf("-protocol, -archive and $%s are required", publish.BucketEnv)
	}
	p, t, err := protocolTarget(repo, *name, *variantName)
	if err != nil {
		return err
	}
	pl, ok := platform.ByOCI(*platformName)
	if !ok || !slices.Contains(p.Platforms, pl) {
		return fmt.Errorf("-platform %q: %s is built for %s", *platformName, p.Name, ociNames(p))
	}
	dir, err := os.MkdirTemp("", "forge-publish-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := publish.Unpack(*archive, dir); err != nil {
		return err
	}
	objects, err := publish.Plan(p.Protocol, t, pl, dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	client, err := publish.NewClient(ctx)
	if err != nil {
		return err
	}
	if err := publish.Upload(ctx, client, bucket, objects); err != nil {
		return err
	}
	for _, o := range objects {
		fmt.Fprintf(stdout, "uploaded s3://%s/%s\n", bucket, o.Key)
	}
	return nil
}
