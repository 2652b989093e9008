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

// containerPath is distroless's PATH (the base image's configuration).
const containerPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// imageEnv is the environment the image's process gets: the base's PATH,
// and HOME from the base's /etc/passwd entry of the image's user, as
// runtimes set it when the image's configuration has none (runc's
// user.GetExecUserPath; "/" for a user the file does not name).
func imageEnv(root string, uid int) []string {
	return []string{containerPath, "HOME=" + passwdHome(root, uid)}
}

// passwdHome is uid's home directory in root/etc/passwd, or "/".
func passwdHome(root string, uid int) string {
	data, err := os.ReadFile(filepath.Join(root, "etc", "passwd"))
	if err != nil {
		return "/"
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Split(line, ":")
		if len(f) == 7 && f[2] == strconv.Itoa(uid) {
			return f[5]
		}
	}
	return "/"
}

// distrolessUsers writes into root what every distroless base image gives
// its users: /etc/passwd and /etc/group with root, nobody and nonroot
// (65532, home /home/nonroot), the homes (/home/nonroot 0700, owned by
// nonroot), and a world-writable /tmp (GoogleContainerTools/distroless
// common/BUILD.bazel, passwd, group, home and tmp, at 11eeda5). A Cosmos
// chain's every command writes its default configuration under $HOME.
func distrolessUsers(root string) error {
	files := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"etc/group":  "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n",
	}
	for rel, content := range files {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, rel), []byte(content), 0o644); err != nil {
			return err
		}
	}
	dirs := []struct {
		rel      string
		mode     os.FileMode
		uid, gid int
	}{
		{"root", 0o700, 0, 0},
		{"home", 0o755, 0, 0},
		{"home/nonroot", 0o700, 65532, 65532},
		{"tmp", os.ModeSticky | 0o777, 0, 0},
	}
	for _, d := range dirs {
		dir := filepath.Join(root, d.rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(dir, d.mode); err != nil {
			return err
		}
		if err := os.Chown(dir, d.uid, d.gid); err != nil {
			return err
		}
	}
	return nil
}

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
	spec, err := json.Marshal(container{Root: root, UID: uid, GID: gid, Argv: argv, Env: imageEnv(root, uid)})
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

// runAs runs name as uid:gid with no supplementary groups, the home
// directory home and distroless's PATH.
func runAs(uid, gid int, home, dir, name string, args ...string) (string, error) {
	return runAsWith(uid, gid, home, dir, nil, name, args...)
}

// runAsWith is runAs with env added to the environment.
func runAsWith(uid, gid int, home, dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{containerPath, "HOME=" + home}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
