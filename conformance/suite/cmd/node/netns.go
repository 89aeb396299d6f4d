package main

// Pods with a network of their own, as a kubelet with a point-to-point CNI plugin gives every Pod:
// a network namespace, a veth pair whose Pod end is eth0 with the Pod IP (/32), a default route
// through a link-local gateway (169.254.1.1, the host end's address), and on the host a /32 route
// to the Pod IP through the host end. The Pod reaches everything on the host (the xds-server, the
// echo Pods, the API server is not needed) and the host reaches the Pod IP, so the load balancer
// and the readiness probes talk to it as in a cluster. Its processes also get their own mount
// namespace (from ip netns exec) in which the Pod's volumes are bind-mounted at their mount paths
// and /dev/shm is a fresh tmpfs, as a container runtime would do, so the rendered bootstrap and
// arguments run unchanged.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// netnsPrefix names the namespaces and host veths this stand-in creates (run.sh removes leftovers).
const netnsPrefix = "eg4jp"

const podGateway = "169.254.1.1"

type podNetwork struct {
	name     string // network namespace
	hostVeth string
	ip       string
}

func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func newPodNetwork(seq int, ip string) (*podNetwork, error) {
	pn := &podNetwork{name: fmt.Sprintf("%s%d", netnsPrefix, seq), hostVeth: fmt.Sprintf("%sh%d", netnsPrefix, seq), ip: ip}
	podVeth := fmt.Sprintf("%sc%d", netnsPrefix, seq)
	steps := [][]string{
		{"netns", "add", pn.name},
		{"link", "add", pn.hostVeth, "type", "veth", "peer", "name", podVeth},
		{"link", "set", podVeth, "netns", pn.name},
		{"-n", pn.name, "link", "set", podVeth, "name", "eth0"},
		{"-n", pn.name, "addr", "add", ip + "/32", "dev", "eth0"},
		{"-n", pn.name, "link", "set", "lo", "up"},
		{"-n", pn.name, "link", "set", "eth0", "up"},
		{"-n", pn.name, "route", "add", podGateway, "dev", "eth0", "scope", "link"},
		{"-n", pn.name, "route", "add", "default", "via", podGateway, "dev", "eth0", "src", ip},
		{"addr", "add", podGateway + "/32", "dev", pn.hostVeth, "scope", "link"},
		{"link", "set", pn.hostVeth, "up"},
		{"route", "add", ip + "/32", "dev", pn.hostVeth, "src", podGateway},
	}
	for _, s := range steps {
		if err := ipCmd(s...); err != nil {
			pn.teardown()
			return nil, err
		}
	}
	return pn, nil
}

func (pn *podNetwork) teardown() {
	if pn == nil {
		return
	}
	_ = ipCmd("link", "del", pn.hostVeth)
	_ = ipCmd("netns", "del", pn.name)
}

// mount is one volume mount of a container: the local directory (or file, with subPath) and where
// the container sees it.
type mount struct{ source, target string }

func containerMounts(c corev1.Container, volumes map[string]string) []mount {
	var out []mount
	for _, m := range c.VolumeMounts {
		local, ok := volumes[m.Name]
		if !ok {
			continue
		}
		out = append(out, mount{source: filepath.Join(local, m.SubPath), target: m.MountPath})
	}
	return out
}

var varRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)`)

// envoyCommand is the container's command and arguments with $(VAR) expanded from its
// environment, as the kubelet does; the image's envoy is the one on PATH.
func envoyCommand(c corev1.Container, envs []string) []string {
	vals := map[string]string{}
	for _, e := range envs {
		if k, v, ok := strings.Cut(e, "="); ok {
			vals[k] = v
		}
	}
	expand := func(s string) string {
		return varRef.ReplaceAllStringFunc(s, func(ref string) string {
			if v, ok := vals[ref[2:len(ref)-1]]; ok {
				return v
			}
			return ref
		})
	}
	cmd := append([]string{}, c.Command...)
	if len(cmd) == 0 {
		cmd = []string{"envoy"}
	}
	if filepath.Base(cmd[0]) == "envoy" {
		cmd[0] = *envoyBin
	}
	out := make([]string, 0, len(cmd)+len(c.Args))
	for _, a := range append(cmd, c.Args...) {
		out = append(out, expand(a))
	}
	return out
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// command runs argv inside the Pod's network namespace with its volumes mounted.
func (pn *podNetwork) command(argv []string, mounts []mount) []string {
	var script strings.Builder
	script.WriteString("set -e; mount -t tmpfs -o size=64m tmpfs /dev/shm; ")
	for _, m := range mounts {
		if st, err := os.Stat(m.source); err == nil && !st.IsDir() {
			fmt.Fprintf(&script, "mkdir -p %s; touch %s; ", shellQuote(filepath.Dir(m.target)), shellQuote(m.target))
		} else {
			fmt.Fprintf(&script, "mkdir -p %s; ", shellQuote(m.target))
		}
		fmt.Fprintf(&script, "mount --bind %s %s; ", shellQuote(m.source), shellQuote(m.target))
	}
	script.WriteString(`exec "$@"`)
	return append([]string{"ip", "netns", "exec", pn.name, "sh", "-c", script.String(), "pod"}, argv...)
}
