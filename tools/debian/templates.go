package debian

import (
	"fmt"
	"strings"
	"text/template"

	"github.com/protocol-forge/protocol-forge/tools/escape"
	"github.com/protocol-forge/protocol-forge/tools/spec"
)

type scriptVars struct {
	Name, Home, Comment string
	// Ldconfig is set when the package ships an ld.so.conf.d entry.
	Ldconfig bool
	// Enable is set when the protocol asks for its service to be enabled
	// and started on install.
	Enable bool
}

func render(t *template.Template, data any) string {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		panic(err) // the templates are ours and their data always fits
	}
	return b.String()
}

// scriptFuncs quote every value a maintainer script passes to a command
// as one shell word (escape.ShellWord), whatever metadata admits.
var scriptFuncs = template.FuncMap{"sh": escape.ShellWord}

// systemdRunning is the test Debian's own helpers use: systemd is PID 1.
// In a chroot or a container without systemd it is false, and no script
// calls systemctl beyond offline `enable`.
const systemdRunning = `[ -d /run/systemd/system ]`

// postinst creates the service user and its home on every configure, only
// when missing, so reinstalls and upgrades keep an operator's changes.
var postinst = template.Must(template.New("postinst").Funcs(scriptFuncs).Parse(`#!/bin/sh
# postinst of {{.Name}}, rendered by protocol-forge (tools/debian).
set -e

case "$1" in
configure)
	if ! getent group {{sh .Name}} >/dev/null; then
		groupadd --system {{sh .Name}}
	fi
	if ! getent passwd {{sh .Name}} >/dev/null; then
		useradd --system --gid {{sh .Name}} --home-dir {{sh .Home}} --no-create-home \
			--shell /usr/sbin/nologin --comment {{sh .Comment}} {{sh .Name}}
	fi
	if [ ! -d {{sh .Home}} ]; then
		install -d -o {{sh .Name}} -g {{sh .Name}} -m 0750 {{sh .Home}}
	fi
{{- if .Ldconfig}}
	ldconfig
{{- end}}
	if ` + systemdRunning + `; then
		systemctl daemon-reload >/dev/null || true
	fi
{{- if .Enable}}
	systemctl enable {{sh (print .Name ".service")}} >/dev/null || true
	if ` + systemdRunning + `; then
		systemctl start {{sh (print .Name ".service")}} || true
	fi
{{- end}}
	# An upgrade restarts a running service on the new binary; a stopped
	# service stays stopped.
	if [ -n "$2" ] && ` + systemdRunning + `; then
		systemctl try-restart {{sh (print .Name ".service")}} >/dev/null || true
	fi
	;;
abort-upgrade | abort-remove | abort-deconfigure) ;;
*)
	echo "postinst called with unknown argument '$1'" >&2
	exit 1
	;;
esac

exit 0
`))

// prerm stops the service before its files go, but not on upgrade: the old
// binary keeps running until postinst restarts it.
var prerm = template.Must(template.New("prerm").Funcs(scriptFuncs).Parse(`#!/bin/sh
# prerm of {{.Name}}, rendered by protocol-forge (tools/debian).
set -e

case "$1" in
remove | deconfigure)
	if ` + systemdRunning + `; then
		systemctl stop {{sh (print .Name ".service")}} >/dev/null 2>&1 || true
	fi
	;;
upgrade | failed-upgrade) ;;
*)
	echo "prerm called with unknown argument '$1'" >&2
	exit 1
	;;
esac

exit 0
`))

// postrm never deletes the user, the data directory or a conffile on remove
// or upgrade. On purge dpkg itself deletes the conffiles; postrm removes the
// data directory only if it is empty (chain data is expensive to get back)
// and keeps the system user, as Debian recommends, so that files left
// behind keep a named owner.
var postrm = template.Must(template.New("postrm").Funcs(scriptFuncs).Parse(`#!/bin/sh
# postrm of {{.Name}}, rendered by protocol-forge (tools/debian).
set -e

case "$1" in
remove)
{{- if .Ldconfig}}
	ldconfig
{{- end}}
	if ` + systemdRunning + `; then
		systemctl daemon-reload >/dev/null || true
	fi
	;;
purge)
	rmdir --ignore-fail-on-non-empty {{sh .Home}} 2>/dev/null || true
	rm -f {{sh (print "/etc/systemd/system/multi-user.target.wants/" .Name ".service")}}
{{- if .Ldconfig}}
	ldconfig
{{- end}}
	if ` + systemdRunning + `; then
		systemctl daemon-reload >/dev/null || true
	fi
	;;
upgrade | failed-upgrade | abort-install | abort-upgrade | disappear) ;;
*)
	echo "postrm called with unknown argument '$1'" >&2
	exit 1
	;;
esac

exit 0
`))

// The unit keeps the old system's service settings, ships as a package file
// (so dpkg owns it and upgrades replace it) and is hardened; a protocol
// loosens it with systemd.conf, an operator with a drop-in under
// /etc/systemd/system/<name>.service.d/.
var unitTemplate = template.Must(template.New("unit").Parse(`[Unit]
Description={{.Synopsis}}
{{- if .Homepage}}
Documentation={{.Homepage}}
{{- end}}
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User={{.Name}}
Group={{.Name}}
EnvironmentFile=-/etc/default/{{.Name}}
ExecStart={{.Exec}} $OPTIONS
WorkingDirectory={{.Home}}
KillMode=mixed
Restart=always
RestartSec=3
LimitNOFILE=infinity
CPUAccounting=yes
IOAccounting=yes
MemoryAccounting=yes
TasksAccounting=yes
TasksMax=16384
Slice={{.Name}}.slice

NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={{.Home}}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
UMask=0027

[Install]
WantedBy=multi-user.target
`))

// unit renders the service unit. Every value from the protocol's files goes
// through systemd's escaping (package escape); metadata and spec admit none
// that cannot be written, so a failure here is a bug of theirs.
func unit(p *spec.Protocol, c Control) string {
	systemd := func(escaped string, err error) string {
		if err != nil {
			panic(fmt.Sprintf("%s: %v", p.Dir, err))
		}
		return escaped
	}
	return render(unitTemplate, map[string]string{
		"Name":     p.Name,
		"Home":     HomeDir(p.Name),
		"Exec":     systemd(escape.SystemdExec(p.Service.Path)),
		"Synopsis": systemd(escape.SystemdValue(strings.SplitN(c.Description, "\n", 2)[0])),
		"Homepage": systemd(escape.SystemdValue(p.Upstream)),
	})
}

var defaultTemplate = template.Must(template.New("default").Parse(`# Settings of the {{.Name}} service, read by {{.Name}}.service.
# Edits survive upgrades: dpkg keeps this file as a conffile.

# Arguments passed to {{.Exec}}.
OPTIONS=""
`))

func defaultFile(p *spec.Protocol) string {
	return render(defaultTemplate, map[string]string{"Name": p.Name, "Exec": p.Service.Path})
}
