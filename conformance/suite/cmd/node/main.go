// Command node is the conformance harness's node stand-in, a very small kubelet for one machine
// without containers. It registers a Node, binds every unscheduled Pod to it (no scheduler runs),
// and runs each Pod whose image it knows as a local process bound to a loopback address of its
// own, which it reports as the Pod IP (198.18.x.y by default: the API server refuses loopback
// addresses in EndpointSlices, so run.sh makes 198.18.0.0/16, the RFC 2544 benchmarking range,
// local to the loopback interface); once the process accepts connections it reports
// the Pod Running and Ready, so the real EndpointSlice controller fills the Services' endpoints.
//
// Images it runs: upstream's echo-basic (as the harness's echo binary, same protocol and
// environment), coredns (as that binary's small DNS mode) and Envoy (the envoy binary on PATH, with
// the Pod's own command, arguments and volumes: the proxies eg4j's provisioner deploys). Any other
// image stays Pending with a waiting reason that says so. Envoy Pods run as a kubelet and a CNI
// plugin would run them (netns.go): each in a network namespace of its own, so every proxy binds
// 0.0.0.0 and its fixed admin and readiness ports without meeting the others; their readiness is
// their readiness probe's answer. Secret and ConfigMap volumes are written to files and the
// container's environment values that point into a mount path are rewritten to those files.
//
// It is also the cluster's load balancer (loadbalancer.go): Services of type LoadBalancer get an
// address of their own and forward to their ready endpoints.
//
// It also serves the kubelet's container-log endpoint, so `kubectl logs` and the suite's mirror
// checks read each process's standard output (with sinceTime).
package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

var (
	kubeconfig = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster")
	nodeName   = flag.String("node-name", "eg4j-node", "name of the Node to register")
	echoBinary = flag.String("echo", "", "the echo binary (cmd/echo)")
	workDir    = flag.String("work-dir", "", "where Pod files and logs go")
	logPort    = flag.Int("kubelet-port", 10250, "port of the container-log endpoint on 127.0.0.1")
	firstIP    = flag.String("first-pod-ip", "198.18.1.1", "first Pod IP; the next ones follow (the range must be local: run.sh routes 198.18.0.0/17 to lo)")
	firstNsIP  = flag.String("first-netns-pod-ip", "198.18.128.1", "first IP of Pods in their own network namespace (outside the local range: each gets a /32 route to its veth)")
	envoyBin   = flag.String("envoy", "envoy", "the envoy binary for Envoy Pods")
)

type logLine struct {
	at   time.Time
	text string
}

// pod is one running Pod: its processes (one per container) and what they printed.
type pod struct {
	uid       string
	ns, name  string
	ip        string
	dir       string
	mu        sync.Mutex
	procs     map[string]*exec.Cmd // container name -> process
	logs      map[string][]logLine
	stopping  bool
	started   time.Time
	restarts  map[string]int32
	readyPort map[string]int // container -> TCP port that answers when it is ready (0: none)
	// readyGet is container -> the readiness probe's HTTP path and port, when it has one; the
	// Pod is ready when it answers 2xx or 3xx (the kubelet's rule).
	readyGet map[string]httpProbe
	argv     map[string][]string // container -> command line
	netns    *podNetwork         // the Pod's own network namespace, or nil (on the host's)
}

type httpProbe struct {
	path string
	port int
}

type node struct {
	client kubernetes.Interface
	mu     sync.Mutex
	pods   map[string]*pod // uid -> pod
	nextIP net.IP
	freed  []string
	// Addresses of Pods in their own network namespace, from --first-netns-pod-ip.
	nextNsIP net.IP
	freedNs  []string
	vethSeq  int
}

func main() {
	flag.Parse()
	if *echoBinary == "" || *workDir == "" {
		log.Fatal("--echo and --work-dir are required")
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatalf("kubeconfig: %v", err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	client := kubernetes.NewForConfigOrDie(cfg)
	n := &node{
		client: client, pods: map[string]*pod{}, nextIP: net.ParseIP(*firstIP).To4(),
		nextNsIP: net.ParseIP(*firstNsIP).To4(),
	}
	if path, err := exec.LookPath(*envoyBin); err == nil {
		*envoyBin = path
	} else {
		log.Printf("no envoy binary (%v): Envoy Pods will not start", err)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()

	for attempt := 1; ; attempt++ {
		err := n.register(ctx)
		if err == nil {
			break
		}
		// The node lifecycle controller may change the new Node between our create and status update.
		if !apierrors.IsConflict(err) || attempt == 10 {
			log.Fatalf("registering node %s: %v", *nodeName, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	go n.heartbeat(ctx)
	go n.serveLogs()

	factory := informers.NewSharedInformerFactory(client, 0)
	podInformer := factory.Core().V1().Pods()
	queue := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj); err == nil {
			queue.Add(key)
		}
	}
	_, _ = podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, o any) { enqueue(o) },
		DeleteFunc: enqueue,
	})
	startBalancer(ctx, n, factory)
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	log.Printf("node %s ready; pods get addresses from %s", *nodeName, *firstIP)
	for i := 0; i < 4; i++ {
		go func() {
			for {
				key, quit := queue.Get()
				if quit {
					return
				}
				if err := n.reconcile(ctx, podInformer.Lister(), key); err != nil {
					log.Printf("pod %s: %v (retrying)", key, err)
					queue.AddRateLimited(key)
				} else {
					queue.Forget(key)
				}
				queue.Done(key)
			}
		}()
	}
	<-ctx.Done()
	queue.ShutDown()
	n.mu.Lock()
	all := make([]*pod, 0, len(n.pods))
	for _, p := range n.pods {
		all = append(all, p)
	}
	n.mu.Unlock()
	for _, p := range all {
		p.stop()
		n.releasePod(p)
	}
}

// ---------------------------------------------------------------------------------------------
// Node registration and heartbeat

func (n *node) nodeStatus() corev1.NodeStatus {
	now := metav1.Now()
	res := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("64"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		corev1.ResourcePods:   resource.MustParse("1000"),
	}
	return corev1.NodeStatus{
		Capacity:    res,
		Allocatable: res,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "eg4j node stand-in is running", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(*logPort)}},
		NodeInfo: corev1.NodeSystemInfo{
			KubeletVersion: "v1.34.3", OperatingSystem: "linux", Architecture: "amd64",
			ContainerRuntimeVersion: "eg4j-node://0",
		},
	}
}

func (n *node) register(ctx context.Context) error {
	nodes := n.client.CoreV1().Nodes()
	existing, err := nodes.Get(ctx, *nodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		existing, err = nodes.Create(ctx, &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: *nodeName, Labels: map[string]string{
				"kubernetes.io/hostname": *nodeName, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
			}},
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return err
	}
	existing.Status = n.nodeStatus()
	_, err = nodes.UpdateStatus(ctx, existing, metav1.UpdateOptions{})
	return err
}

func (n *node) heartbeat(ctx context.Context) {
	leases := n.client.CoordinationV1().Leases("kube-node-lease")
	holder := *nodeName
	duration := int32(40)
	for {
		if err := n.register(ctx); err != nil && ctx.Err() == nil {
			log.Printf("node status: %v", err)
		}
		now := metav1.NewMicroTime(time.Now())
		l, err := leases.Get(ctx, *nodeName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			_, err = leases.Create(ctx, &coordv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Name: *nodeName},
				Spec:       coordv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &duration, RenewTime: &now},
			}, metav1.CreateOptions{})
		} else if err == nil {
			l.Spec.RenewTime = &now
			l.Spec.HolderIdentity = &holder
			l.Spec.LeaseDurationSeconds = &duration
			_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
		}
		if err != nil && ctx.Err() == nil {
			log.Printf("node lease: %v", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

// ---------------------------------------------------------------------------------------------
// Pods

func (n *node) reconcile(ctx context.Context, lister corelisters.PodLister, key string) error {
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	obj, err := lister.Pods(ns).Get(name)
	if apierrors.IsNotFound(err) {
		n.forget(ns, name, "")
		return nil
	}
	if err != nil {
		return err
	}
	p := obj.DeepCopy()
	if p.Spec.NodeName == "" {
		return n.client.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: p.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: *nodeName},
		}, metav1.CreateOptions{})
	}
	if p.Spec.NodeName != *nodeName {
		return nil
	}
	// A Pod of the same name but another UID replaced the one we run.
	n.forget(ns, name, string(p.UID))
	if p.DeletionTimestamp != nil {
		n.mu.Lock()
		running := n.pods[string(p.UID)]
		delete(n.pods, string(p.UID))
		n.mu.Unlock()
		if running != nil {
			running.stop()
			n.releasePod(running)
		}
		zero := int64(0)
		uid := p.UID
		err := n.client.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{
			GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &uid},
		})
		if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
			return nil
		}
		return err
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return nil
	}
	n.mu.Lock()
	running := n.pods[string(p.UID)]
	n.mu.Unlock()
	if running != nil {
		return n.writeStatus(ctx, p, running)
	}
	return n.start(ctx, p)
}

// forget stops the Pod ns/name we run unless its UID is keep.
func (n *node) forget(ns, name, keep string) {
	n.mu.Lock()
	var gone []*pod
	for uid, p := range n.pods {
		if p.ns == ns && p.name == name && uid != keep {
			gone = append(gone, p)
			delete(n.pods, uid)
		}
	}
	n.mu.Unlock()
	for _, p := range gone {
		p.stop()
		n.releasePod(p)
	}
}

func (n *node) allocate() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return takeIP(&n.nextIP, &n.freed)
}

// allocateNs is allocate for Pods in their own network namespace.
func (n *node) allocateNs() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return takeIP(&n.nextNsIP, &n.freedNs)
}

// releasePod gives back a stopped Pod's address and removes its network namespace.
func (n *node) releasePod(p *pod) {
	if p.netns == nil {
		n.release(p.ip)
		return
	}
	p.netns.teardown()
	n.mu.Lock()
	n.freedNs = append(n.freedNs, p.ip)
	n.mu.Unlock()
}

func takeIP(nextIP *net.IP, freed *[]string) string {
	if len(*freed) > 0 {
		ip := (*freed)[0]
		*freed = (*freed)[1:]
		return ip
	}
	ip := nextIP.String()
	next := make(net.IP, 4)
	copy(next, *nextIP)
	for i := 3; i >= 0; i-- {
		next[i]++
		if next[i] != 0 && next[i] != 255 {
			break
		}
		if next[i] == 255 {
			next[i] = 1
			continue
		}
		next[i] = 1
	}
	*nextIP = next
	return ip
}

func (n *node) release(ip string) {
	if ip == "" {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.freed = append(n.freed, ip)
}

func imageKind(image string) string {
	switch {
	case strings.Contains(image, "gateway-api/conformance/echo-basic") || strings.Contains(image, "/echo-basic:"):
		return "echo"
	case strings.Contains(image, "coredns/coredns"):
		return "dns"
	case strings.Contains(image, "envoyproxy/envoy"):
		return "envoy"
	}
	return ""
}

func (n *node) start(ctx context.Context, p *corev1.Pod) error {
	for _, c := range p.Spec.Containers {
		if imageKind(c.Image) == "" {
			return n.unsupported(ctx, p, c)
		}
	}
	// Envoy binds 0.0.0.0 and fixed admin and readiness ports: its Pods get a network namespace
	// of their own, as every Pod has in Kubernetes.
	ownNetwork := false
	for _, c := range p.Spec.Containers {
		if imageKind(c.Image) == "envoy" {
			ownNetwork = true
		}
	}
	var ip string
	if ownNetwork {
		ip = n.allocateNs()
	} else {
		ip = n.allocate()
	}
	dir := filepath.Join(*workDir, "pods", p.Namespace+"_"+p.Name+"_"+string(p.UID))
	running := &pod{
		uid: string(p.UID), ns: p.Namespace, name: p.Name, ip: ip, dir: dir,
		procs: map[string]*exec.Cmd{}, logs: map[string][]logLine{}, restarts: map[string]int32{},
		readyPort: map[string]int{}, readyGet: map[string]httpProbe{}, argv: map[string][]string{},
		started: time.Now(),
	}
	if ownNetwork {
		n.mu.Lock()
		n.vethSeq++
		seq := n.vethSeq
		n.mu.Unlock()
		pn, err := newPodNetwork(seq, ip)
		if err != nil {
			n.mu.Lock()
			n.freedNs = append(n.freedNs, ip)
			n.mu.Unlock()
			return fmt.Errorf("pod network: %w", err)
		}
		running.netns = pn
	}
	mounts, err := n.writeVolumes(ctx, p, dir)
	if err != nil {
		n.releasePod(running)
		return err
	}
	n.mu.Lock()
	n.pods[string(p.UID)] = running
	n.mu.Unlock()
	for _, c := range p.Spec.Containers {
		envs, port, err := n.environment(ctx, p, c, ip, mounts)
		if err != nil {
			running.stop()
			n.mu.Lock()
			delete(n.pods, string(p.UID))
			n.mu.Unlock()
			n.releasePod(running)
			return err
		}
		running.readyPort[c.Name] = port
		if pr := c.ReadinessProbe; pr != nil && pr.HTTPGet != nil && pr.HTTPGet.Port.IntValue() > 0 {
			running.readyGet[c.Name] = httpProbe{path: pr.HTTPGet.Path, port: pr.HTTPGet.Port.IntValue()}
		}
		running.argv[c.Name] = []string{*echoBinary}
		if imageKind(c.Image) == "envoy" {
			running.argv[c.Name] = running.netns.command(envoyCommand(c, envs), containerMounts(c, mounts))
		}
		go running.supervise(c.Name, envs)
	}
	log.Printf("pod %s/%s runs on %s", p.Namespace, p.Name, ip)
	// Report Running now, Ready once every container answers.
	if err := n.writeStatus(ctx, p, running); err != nil {
		return err
	}
	go n.awaitReady(ctx, p.Namespace, p.Name, running)
	return nil
}

func (n *node) unsupported(ctx context.Context, p *corev1.Pod, c corev1.Container) error {
	msg := fmt.Sprintf("the eg4j node stand-in cannot run image %s", c.Image)
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil && s.State.Waiting.Message == msg {
			return nil
		}
	}
	st := p.Status
	st.Phase = corev1.PodPending
	st.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
	st.ContainerStatuses = nil
	for _, cc := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: cc.Name, Image: cc.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "UnsupportedImage", Message: msg}},
		})
	}
	p.Status = st
	_, err := n.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, p, metav1.UpdateOptions{})
	log.Printf("pod %s/%s: %s", p.Namespace, p.Name, msg)
	return err
}

// writeVolumes writes each Secret, ConfigMap and emptyDir volume under dir and returns volume
// name -> local directory.
func (n *node) writeVolumes(ctx context.Context, p *corev1.Pod, dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range p.Spec.Volumes {
		local := filepath.Join(dir, "volumes", v.Name)
		if err := os.MkdirAll(local, 0o755); err != nil {
			return nil, err
		}
		out[v.Name] = local
		files := map[string][]byte{}
		switch {
		case v.Secret != nil:
			s, err := n.client.CoreV1().Secrets(p.Namespace).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			for k, b := range s.Data {
				files[k] = b
			}
			files = project(files, v.Secret.Items)
		case v.ConfigMap != nil:
			cm, err := n.client.CoreV1().ConfigMaps(p.Namespace).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
			for k, s := range cm.Data {
				files[k] = []byte(s)
			}
			for k, b := range cm.BinaryData {
				files[k] = b
			}
			files = project(files, v.ConfigMap.Items)
		}
		for k, b := range files {
			f := filepath.Join(local, k)
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(f, b, 0o600); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func project(files map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	if len(items) == 0 {
		return files
	}
	out := map[string][]byte{}
	for _, it := range items {
		if b, ok := files[it.Key]; ok {
			out[it.Path] = b
		}
	}
	return out
}

// environment resolves a container's environment (values, field references, Secret and
// ConfigMap keys), maps paths inside its volume mounts to the local files, and adds the bind
// address and the mode of its image. It also returns the TCP port that answers once it is ready.
func (n *node) environment(ctx context.Context, p *corev1.Pod, c corev1.Container, ip string, mounts map[string]string) ([]string, int, error) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, e := range c.Env {
		v := e.Value
		if e.ValueFrom != nil {
			switch {
			case e.ValueFrom.FieldRef != nil:
				switch e.ValueFrom.FieldRef.FieldPath {
				case "metadata.name":
					v = p.Name
				case "metadata.namespace":
					v = p.Namespace
				case "status.podIP":
					v = ip
				case "spec.nodeName":
					v = *nodeName
				case "spec.serviceAccountName":
					v = p.Spec.ServiceAccountName
				}
			case e.ValueFrom.SecretKeyRef != nil:
				s, err := n.client.CoreV1().Secrets(p.Namespace).Get(ctx, e.ValueFrom.SecretKeyRef.Name, metav1.GetOptions{})
				if err != nil {
					return nil, 0, err
				}
				v = string(s.Data[e.ValueFrom.SecretKeyRef.Key])
			case e.ValueFrom.ConfigMapKeyRef != nil:
				cm, err := n.client.CoreV1().ConfigMaps(p.Namespace).Get(ctx, e.ValueFrom.ConfigMapKeyRef.Name, metav1.GetOptions{})
				if err != nil {
					return nil, 0, err
				}
				v = cm.Data[e.ValueFrom.ConfigMapKeyRef.Key]
			}
		}
		for _, m := range c.VolumeMounts {
			mp := strings.TrimSuffix(m.MountPath, "/")
			if local, ok := mounts[m.Name]; ok && (v == mp || strings.HasPrefix(v, mp+"/")) {
				v = filepath.Join(local, m.SubPath, strings.TrimPrefix(v, mp))
			}
		}
		set(e.Name, v)
	}
	set("BIND_ADDRESS", ip)
	port := 0
	switch imageKind(c.Image) {
	case "echo":
		switch {
		case vals["TCP_ECHO_SERVER"] != "":
			port = atoi(vals["TCP_PORT"], 3000)
		default:
			port = atoi(vals["HTTP_PORT"], 3000)
		}
	case "dns":
		set("DNS_STAND_IN", "1")
	}
	out := []string{"PATH=" + os.Getenv("PATH")}
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, port, nil
}

func atoi(s string, def int) int {
	if v, err := strconv.Atoi(s); err == nil {
		return v
	}
	return def
}

// supervise runs one container's process and restarts it (restartPolicy Always) until the Pod
// stops.
func (p *pod) supervise(container string, envs []string) {
	backoff := time.Second
	for {
		p.mu.Lock()
		if p.stopping {
			p.mu.Unlock()
			return
		}
		argv := p.argv[container]
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = envs
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = cmd.Stdout
		err := cmd.Start()
		if err == nil {
			p.procs[container] = cmd
		}
		p.mu.Unlock()
		if err != nil {
			log.Printf("pod %s/%s: starting %s: %v", p.ns, p.name, container, err)
		} else {
			p.collect(container, out)
			_ = cmd.Wait()
		}
		p.mu.Lock()
		stopping := p.stopping
		if !stopping {
			p.restarts[container]++
		}
		p.mu.Unlock()
		if stopping {
			return
		}
		log.Printf("pod %s/%s: container %s exited; restarting in %s", p.ns, p.name, container, backoff)
		time.Sleep(backoff)
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
}

func (p *pod) collect(container string, r io.Reader) {
	if err := os.MkdirAll(p.dir, 0o755); err != nil {
		log.Print(err)
	}
	f, _ := os.OpenFile(filepath.Join(p.dir, container+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	defer func() {
		if f != nil {
			_ = f.Close()
		}
	}()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := logLine{at: time.Now(), text: sc.Text()}
		p.mu.Lock()
		p.logs[container] = append(p.logs[container], line)
		if len(p.logs[container]) > 20000 {
			p.logs[container] = p.logs[container][10000:]
		}
		p.mu.Unlock()
		if f != nil {
			fmt.Fprintf(f, "%s %s\n", line.at.UTC().Format(time.RFC3339Nano), line.text)
		}
	}
}

func (p *pod) stop() {
	p.mu.Lock()
	p.stopping = true
	procs := make([]*exec.Cmd, 0, len(p.procs))
	for _, c := range p.procs {
		procs = append(procs, c)
	}
	p.mu.Unlock()
	for _, c := range procs {
		if c.Process != nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for _, c := range procs {
		for c.Process != nil && time.Now().Before(deadline) && syscall.Kill(c.Process.Pid, 0) == nil && c.ProcessState == nil {
			time.Sleep(50 * time.Millisecond)
		}
		if c.Process != nil && c.ProcessState == nil {
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	}
}

func (p *pod) ready() bool {
	p.mu.Lock()
	ports := map[string]int{}
	for k, v := range p.readyPort {
		ports[k] = v
	}
	gets := map[string]httpProbe{}
	for k, v := range p.readyGet {
		gets[k] = v
	}
	alive := len(p.procs) == len(p.readyPort)
	p.mu.Unlock()
	if !alive {
		return false
	}
	for container, port := range ports {
		if g, ok := gets[container]; ok {
			if !httpReady(p.ip, g) {
				return false
			}
			continue
		}
		if port == 0 {
			continue
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(p.ip, strconv.Itoa(port)), time.Second)
		if err != nil {
			return false
		}
		_ = c.Close()
	}
	return true
}

// awaitReady probes the Pod as the kubelet does for as long as it runs, and writes its status
// whenever its readiness changes (quickly at first, then every second).
func (n *node) awaitReady(ctx context.Context, ns, name string, p *pod) {
	written := false
	last := false
	for i := 0; ctx.Err() == nil; i++ {
		p.mu.Lock()
		stopping := p.stopping
		p.mu.Unlock()
		if stopping {
			return
		}
		ready := p.ready()
		if !written || ready != last {
			cur, err := n.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) || (err == nil && string(cur.UID) != p.uid) {
				return
			}
			if err == nil && n.writeStatus(ctx, cur, p) == nil {
				written, last = true, ready
			}
		}
		if i < 600 {
			time.Sleep(100 * time.Millisecond)
		} else {
			time.Sleep(time.Second)
		}
	}
}

func (n *node) writeStatus(ctx context.Context, obj *corev1.Pod, p *pod) error {
	ready := p.ready()
	want := corev1.ConditionFalse
	if ready {
		want = corev1.ConditionTrue
	}
	// Nothing to write when the API already says so.
	if obj.Status.Phase == corev1.PodRunning && obj.Status.PodIP == p.ip && podReady(obj) == want {
		return nil
	}
	start := metav1.NewTime(p.started)
	now := metav1.Now()
	cond := func(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: s, LastTransitionTime: now}
	}
	st := corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "127.0.0.1",
		HostIPs:   []corev1.HostIP{{IP: "127.0.0.1"}},
		PodIP:     p.ip,
		PodIPs:    []corev1.PodIP{{IP: p.ip}},
		StartTime: &start,
		QOSClass:  obj.Status.QOSClass,
		Conditions: []corev1.PodCondition{
			cond(corev1.PodScheduled, corev1.ConditionTrue),
			cond(corev1.PodInitialized, corev1.ConditionTrue),
			cond(corev1.ContainersReady, want),
			cond(corev1.PodReady, want),
		},
	}
	p.mu.Lock()
	for _, c := range obj.Spec.Containers {
		pid := 0
		if cmd := p.procs[c.Name]; cmd != nil && cmd.Process != nil {
			pid = cmd.Process.Pid
		}
		started := ready
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: ready, Started: &started,
			RestartCount: p.restarts[c.Name],
			ContainerID:  fmt.Sprintf("eg4j-node://%d", pid),
			State:        corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: start}},
		})
	}
	p.mu.Unlock()
	obj.Status = st
	_, err := n.client.CoreV1().Pods(obj.Namespace).UpdateStatus(ctx, obj, metav1.UpdateOptions{})
	return err
}

func podReady(p *corev1.Pod) corev1.ConditionStatus {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

// ---------------------------------------------------------------------------------------------
// The kubelet's container-log endpoint: GET /containerLogs/{namespace}/{pod}/{container}

func (n *node) serveLogs() {
	mux := http.NewServeMux()
	mux.HandleFunc("/containerLogs/", func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/containerLogs/"), "/")
		if len(parts) < 2 {
			http.NotFound(w, r)
			return
		}
		ns, name := parts[0], parts[1]
		var p *pod
		n.mu.Lock()
		for _, cand := range n.pods {
			if cand.ns == ns && cand.name == name {
				p = cand
			}
		}
		n.mu.Unlock()
		if p == nil {
			http.NotFound(w, r)
			return
		}
		container := ""
		if len(parts) > 2 {
			container = parts[2]
		}
		var since time.Time
		if s := r.URL.Query().Get("sinceTime"); s != "" {
			since, _ = time.Parse(time.RFC3339, s)
		}
		if s := r.URL.Query().Get("sinceSeconds"); s != "" {
			if secs, err := strconv.Atoi(s); err == nil {
				since = time.Now().Add(-time.Duration(secs) * time.Second)
			}
		}
		stamps := r.URL.Query().Get("timestamps") == "true"
		p.mu.Lock()
		if container == "" {
			for c := range p.logs {
				container = c
			}
		}
		lines := append([]logLine(nil), p.logs[container]...)
		p.mu.Unlock()
		w.Header().Set("Content-Type", "text/plain")
		for _, l := range lines {
			if l.at.Before(since) {
				continue
			}
			if stamps {
				fmt.Fprintf(w, "%s ", l.at.UTC().Format(time.RFC3339Nano))
			}
			fmt.Fprintln(w, l.text)
		}
	})
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", strconv.Itoa(*logPort)),
		Handler:           mux,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{selfSigned()}},
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

func selfSigned() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: *nodeName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * 365 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// httpReady asks a readiness probe's HTTP endpoint as the kubelet does: 2xx and 3xx are ready.
func httpReady(ip string, g httpProbe) bool {
	client := http.Client{Timeout: time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	path := g.path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	resp, err := client.Get("http://" + net.JoinHostPort(ip, strconv.Itoa(g.port)) + path)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}
