package assemble

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/protocol-forge/protocol-forge/tools/packaging"
)

// WriteDeb writes the .deb d models to file as make_deb.py's CreateDeb does
// (pkg/private/deb/make_deb.py:172-251): an ar archive of debian-binary,
// control.tar.gz and the data tar at dataFile, named as d.ArMembers says.
// read returns the content of the files pkg_deb reads by label (the
// maintainer scripts).
func WriteDeb(file string, d *packaging.Deb, dataFile string, read func(label string) (string, bool)) error {
	control, err := controlTar(d, read)
	if err != nil {
		return err
	}
	if len(d.ArMembers) != 3 || d.ArMembers[0] != "debian-binary" || d.ArMembers[1] != "control.tar.gz" {
		return fmt.Errorf("%s: ar members %v are not what make_deb.py writes", d.Rule, d.ArMembers)
	}
	out, err := os.Create(file)
	if err != nil {
		return err
	}
	err = writeAr(out, d.ArMembers, control, dataFile)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	return err
}

func writeAr(out io.Writer, members []string, control []byte, dataFile string) error {
	if _, err := io.WriteString(out, "!<arch>\n"); err != nil {
		return err
	}
	if err := arEntry(out, members[0], strings.NewReader("2.0\n"), 4); err != nil {
		return err
	}
	if err := arEntry(out, members[1], bytes.NewReader(control), int64(len(control))); err != nil {
		return err
	}
	data, err := os.Open(dataFile)
	if err != nil {
		return err
	}
	defer data.Close()
	fi, err := data.Stat()
	if err != nil {
		return err
	}
	return arEntry(out, members[2], data, fi.Size())
}

// arEntry is AddArFileEntry (make_deb.py:96-122): a SysV name ending in
// "/", mtime, owner and group 0, mode 0644, the size, then the content
// padded to an even length.
func arEntry(out io.Writer, name string, content io.Reader, size int64) error {
	header := fmt.Sprintf("%-16s%-12d%-6d%-6d%-8s%-10d`\n", name+"/", 0, 0, 0, "0644", size)
	if len(header) != 60 {
		return fmt.Errorf("ar member name %q is too long", name)
	}
	if _, err := io.WriteString(out, header); err != nil {
		return err
	}
	n, err := io.Copy(out, content)
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("ar member %s: wrote %d bytes of %d", name, n, size)
	}
	if size%2 != 0 {
		_, err = io.WriteString(out, "\n")
	}
	return err
}

// controlTar is control.tar.gz as CreateDebControl writes it
// (make_deb.py:172-189): GNU tar, each member mode as given, owner 0:0
// without names, mtime 0; gzip at GzipFile's default level 9 with mtime 0
// and the name "control.tar".
func controlTar(d *packaging.Deb, read func(label string) (string, bool)) ([]byte, error) {
	members := make([]packaging.Member, len(d.ControlMembers))
	contents := map[string]File{}
	for i, m := range d.ControlMembers {
		members[i] = m
		members[i].Source = m.Name
		switch m.Name {
		case "./control":
			contents[m.Name] = File{Data: []byte(d.Control())}
		case "./conffiles":
			contents[m.Name] = File{Data: []byte(d.Conffiles)}
		default:
			content, ok := read(m.Source)
			if !ok {
				return nil, fmt.Errorf("%s: %s: no content for %s", d.Rule, m.Name, m.Source)
			}
			contents[m.Name] = File{Data: []byte(content)}
		}
	}
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	gz.Name = "control.tar"
	err = writeTar(gz, members, func(source string) (File, error) { return contents[source], nil })
	if err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
