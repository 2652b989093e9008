//go:build realtools

package assemble_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The image test starts the entrypoint the way a container runtime does:
// the test binary runs itself in new mount and PID namespaces, mounts what
// every OCI runtime provides into the unpacked root (/proc, a read-only
// /sys, a /dev of the default devices: runtime-spec config-linux.md,
// "Default Devices"), chroots, drops to the image's user and execs the
// entrypoint with the image's environment.
const containerEnv = "FORGE_TEST_CONTAINER"

// container is what the re-executed test binary is asked to start.
type container struct {
	Root     string
	UID, GID int
	Argv     []string
	Env      []string
}

func TestMain(m *testing.M) {
	if c := os.Getenv(containerEnv); c != "" {
		containerInit(c)
	}
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// containerInit runs in the new namespaces and never returns.
func containerInit(spec string) {
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "container: "+format+"\n", args...)
		os.Exit(125)
	}
	var c container
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fail("%v", err)
	}
	// Nothing mounted here may reach the host's mount table.
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		fail("make / private: %v", err)
	}
	mount := func(source, target, fstype string, flags uintptr, data string) {
		if err := syscall.Mount(source, filepath.Join(c.Root, target), fstype, flags, data); err != nil {
			fail("mount %s on %s: %v", source, target, err)
		}
	}
	mount("proc", "proc", "proc", syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
	mount("sysfs", "sys", "sysfs", syscall.MS_RDONLY|syscall.MS_NOSUID|syscall.MS_NODEV|syscall.MS_NOEXEC, "")
	mount("tmpfs", "dev", "tmpfs", syscall.MS_NOSUID, "mode=755")
	for _, d := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		if err := os.WriteFile(filepath.Join(c.Root, "dev", d), nil, 0o666); err != nil {
			fail("%v", err)
		}
		if err := syscall.Mount("/dev/"+d, filepath.Join(c.Root, "dev", d), "", syscall.MS_BIND, ""); err != nil {
			fail("bind /dev/%s: %v", d, err)
		}
	}
	if err := syscall.Chroot(c.Root); err != nil {
		fail("chroot: %v", err)
	}
	if err := os.Chdir("/"); err != nil {
		fail("%v", err)
	}
	if err := syscall.Setgroups(nil); err != nil {
		fail("setgroups: %v", err)
	}
	if err := syscall.Setgid(c.GID); err != nil {
		fail("setgid: %v", err)
	}
	if err := syscall.Setuid(c.UID); err != nil {
		fail("setuid: %v", err)
	}
	err := syscall.Exec(c.Argv[0], c.Argv, c.Env)
	fail("exec %s: %v", c.Argv[0], err)
}

// imageEnv is the environment the image's process gets: distroless's PATH
// (the base image's configuration), and HOME=/ as runtimes set it for a
// user the image's /etc/passwd does not name.
var imageEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"}

// runContainer starts argv in root as user "UID:GID" and returns its output.
func runContainer(root, user string, argv []string) (string, error) {
	uidText, gidText, ok := strings.Cut(user, ":")
	uid, err1 := strconv.Atoi(uidText)
	gid, err2 := strconv.Atoi(gidText)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("user %q is not UID:GID", user)
	}
	for _, d := range []string{"proc", "sys", "dev"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", err
		}
	}
	spec, err := json.Marshal(container{Root: root, UID: uid, GID: gid, Argv: argv, Env: imageEnv})
	if err != nil {
		return "", err
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = []string{containerEnv + "=" + string(spec)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// runAs runs name as uid:gid with no supplementary groups.
func runAs(uid, gid int, dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = imageEnv
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
