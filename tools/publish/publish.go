// Package publish uploads a protocol's MANIFEST files to S3-compatible
// object storage at NAME/TARGET/VERSION/FILE, as the system we replace laid
// them out (linux/amd64's; another platform's at NAME/TARGET-linux-arm64/
// VERSION/FILE), all of them or none.
package publish

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/protocol-forge/protocol-forge/tools/metadata"
	"github.com/protocol-forge/protocol-forge/tools/platform"
)

// Object is one file to upload and the key it goes to.
type Object struct {
	Key  string
	Path string
}

// Key is where file (a MANIFEST basename, or a path below a directory
// entry) of target t for platform pl goes: NAME/TARGET/VERSION/FILE,
// VERSION being the image tag so that a VERSION like release/v3.0.0 adds no
// level. linux/amd64 keeps the keys it had before there were other
// platforms; another platform's variant level carries its file suffix
// (static-linux-arm64): no variant name has a "-", so no key of one
// platform can be another's, whatever the MANIFEST basenames.
func Key(p *metadata.Protocol, t metadata.Target, pl platform.Platform, file string) string {
	return path.Join(p.Name, t.Variant.Name+pl.FileSuffix(), p.Tag, file)
}

// Plan lists the objects of target t for platform pl from dir, which holds the MANIFEST
// entries by basename (the unpacked release archive). A directory entry
// uploads every file below it. Every missing entry is reported at once.
func Plan(p *metadata.Protocol, t metadata.Target, pl platform.Platform, dir string) ([]Object, error) {
	var objects []Object
	var missing []string
	for _, e := range p.Manifest {
		local := filepath.Join(dir, e.Base())
		fi, err := os.Stat(local)
		if err != nil {
			missing = append(missing, e.Base())
			continue
		}
		if !fi.IsDir() {
			objects = append(objects, Object{Key: Key(p, t, pl, e.Base()), Path: local})
			continue
		}
		err = filepath.WalkDir(local, func(file string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(dir, file)
			objects = append(objects, Object{Key: Key(p, t, pl, filepath.ToSlash(rel)), Path: file})
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s has no %s: nothing was uploaded", dir, strings.Join(missing, ", "))
	}
	return objects, nil
}

// Client is the part of the S3 API that Upload needs.
type Client interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// Upload puts every object into bucket. It reads every file before the first
// upload, so a missing or unreadable file uploads nothing; each upload sends
// the content's MD5, which the store checks, and the returned ETag must be
// that MD5.
func Upload(ctx context.Context, c Client, bucket string, objects []Object) error {
	contents := make([][]byte, len(objects))
	var errs []error
	for i, o := range objects {
		data, err := os.ReadFile(o.Path)
		if err != nil {
			errs = append(errs, err)
		}
		contents[i] = data
	}
	if len(errs) > 0 {
		return fmt.Errorf("nothing was uploaded: %w", errors.Join(errs...))
	}
	for i, o := range objects {
		sum := md5.Sum(contents[i])
		out, err := c.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(bucket),
			Key:           aws.String(o.Key),
			Body:          bytes.NewReader(contents[i]),
			ContentLength: aws.Int64(int64(len(contents[i]))),
			ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
		})
		if err != nil {
			return fmt.Errorf("upload s3://%s/%s: %w", bucket, o.Key, err)
		}
		if etag := strings.Trim(aws.ToString(out.ETag), `"`); etag != hex.EncodeToString(sum[:]) {
			return fmt.Errorf("upload s3://%s/%s: the store holds ETag %s, not the file's MD5 %x", bucket, o.Key, etag, sum)
		}
	}
	return nil
}

// Environment names the settings that come from the environment, never from
// the repository; credentials and region are the AWS SDK's own
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, profiles, ...).
const (
	BucketEnv   = "FORGE_S3_BUCKET"
	EndpointEnv = "FORGE_S3_ENDPOINT"
)

// maxAttempts is how often a request is tried: the SDK's standard retryer
// backs off and retries throttling, timeouts and 5xx answers.
const maxAttempts = 5

// NewClient returns an S3 client configured from the environment. A custom
// endpoint (an S3-compatible store) is addressed path-style.
func NewClient(ctx context.Context) (*s3.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRetryer(func() aws.Retryer {
			return retry.AddWithMaxAttempts(retry.NewStandard(), maxAttempts)
		}),
		// The store checks Content-MD5; the SDK's default streaming checksums
		// are not understood by every S3-compatible store.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	)
	if err != nil {
		return nil, err
	}
	endpoint := os.Getenv(EndpointEnv)
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
	}), nil
}
