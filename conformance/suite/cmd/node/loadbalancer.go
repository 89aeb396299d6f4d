package main

// The load-balancer half of the stand-in, what cloud-provider-kind is to a kind cluster: every
// Service of type LoadBalancer gets an address of its own from --first-lb-ip on, written to
// status.loadBalancer.ingress, and each of its TCP ports listens there and forwards every
// connection to a ready endpoint of the Service (from its EndpointSlices), as a cloud load
// balancer in front of the Service would.

import (
	"context"
	"flag"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

var firstLBIP = flag.String("first-lb-ip", "198.18.0.10", "first load-balancer address; the next ones follow")

type balancer struct {
	n         *node
	slices    discoverylisters.EndpointSliceLister
	mu        sync.Mutex
	ips       map[string]string                 // service key -> address
	listeners map[string]map[int32]net.Listener // service key -> port -> listener
	next      net.IP
}

func startBalancer(ctx context.Context, n *node, factory informers.SharedInformerFactory) {
	b := &balancer{
		n: n, slices: factory.Discovery().V1().EndpointSlices().Lister(),
		ips: map[string]string{}, listeners: map[string]map[int32]net.Listener{},
		next: net.ParseIP(*firstLBIP).To4(),
	}
	services := factory.Core().V1().Services()
	sync := func(obj any) {
		svc, ok := obj.(*corev1.Service)
		if !ok {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				svc, _ = d.Obj.(*corev1.Service)
			}
		}
		if svc != nil {
			b.sync(ctx, svc, false)
		}
	}
	_, _ = services.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sync,
		UpdateFunc: func(_, o any) { sync(o) },
		DeleteFunc: func(obj any) {
			if svc, ok := obj.(*corev1.Service); ok {
				b.sync(ctx, svc, true)
			} else if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				if svc, ok := d.Obj.(*corev1.Service); ok {
					b.sync(ctx, svc, true)
				}
			}
		},
	})
	_ = factory.Discovery().V1().EndpointSlices().Informer()
}

func (b *balancer) sync(ctx context.Context, svc *corev1.Service, deleted bool) {
	key := svc.Namespace + "/" + svc.Name
	b.mu.Lock()
	defer b.mu.Unlock()
	if deleted || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		for _, l := range b.listeners[key] {
			_ = l.Close()
		}
		delete(b.listeners, key)
		delete(b.ips, key)
		return
	}
	ip, ok := b.ips[key]
	if !ok {
		ip = b.next.String()
		b.next = nextIP(b.next)
		b.ips[key] = ip
		log.Printf("load balancer %s gets %s", key, ip)
	}
	open := b.listeners[key]
	if open == nil {
		open = map[int32]net.Listener{}
		b.listeners[key] = open
	}
	want := map[int32]corev1.ServicePort{}
	for _, p := range svc.Spec.Ports {
		if p.Protocol == corev1.ProtocolTCP || p.Protocol == "" {
			want[p.Port] = p
		}
	}
	for port, l := range open {
		if _, ok := want[port]; !ok {
			_ = l.Close()
			delete(open, port)
		}
	}
	for port, sp := range want {
		if _, ok := open[port]; ok {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(int(port))))
		if err != nil {
			log.Printf("load balancer %s: %v", key, err)
			continue
		}
		open[port] = l
		go b.serve(l, svc.Namespace, svc.Name, sp)
	}
	if len(svc.Status.LoadBalancer.Ingress) == 1 && svc.Status.LoadBalancer.Ingress[0].IP == ip {
		return
	}
	mode := corev1.LoadBalancerIPModeVIP
	cp := svc.DeepCopy()
	cp.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip, IPMode: &mode}}
	go func() {
		for i := 0; i < 10; i++ {
			_, err := b.n.client.CoreV1().Services(cp.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{})
			if err == nil || apierrors.IsNotFound(err) {
				return
			}
			if apierrors.IsConflict(err) {
				cur, gerr := b.n.client.CoreV1().Services(cp.Namespace).Get(ctx, cp.Name, metav1.GetOptions{})
				if gerr != nil {
					return
				}
				cur.Status.LoadBalancer.Ingress = cp.Status.LoadBalancer.Ingress
				cp = cur
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
}

func nextIP(ip net.IP) net.IP {
	next := make(net.IP, 4)
	copy(next, ip)
	for i := 3; i >= 0; i-- {
		next[i]++
		if next[i] != 0 {
			break
		}
	}
	return next
}

// serve forwards each connection to a ready endpoint of the Service port.
func (b *balancer) serve(l net.Listener, ns, name string, sp corev1.ServicePort) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			target := b.pick(ns, name, sp)
			if target == "" {
				return // no ready endpoint: the client sees the connection close
			}
			up, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				return
			}
			defer up.Close()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(up, c); closeWrite(up); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, up); closeWrite(c); done <- struct{}{} }()
			<-done
			<-done
		}()
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

func (b *balancer) pick(ns, name string, sp corev1.ServicePort) string {
	sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: name})
	slices, err := b.slices.EndpointSlices(ns).List(sel)
	if err != nil {
		return ""
	}
	var targets []string
	for _, s := range slices {
		port := int32(0)
		for _, p := range s.Ports {
			if p.Port != nil && (p.Name == nil && sp.Name == "" || p.Name != nil && *p.Name == sp.Name) {
				port = *p.Port
			}
		}
		if port == 0 {
			continue
		}
		for _, e := range s.Endpoints {
			if e.Conditions.Ready != nil && !*e.Conditions.Ready {
				continue
			}
			for _, a := range e.Addresses {
				targets = append(targets, net.JoinHostPort(a, strconv.Itoa(int(port))))
			}
		}
	}
	if len(targets) == 0 {
		return ""
	}
	return targets[rand.IntN(len(targets))]
}
