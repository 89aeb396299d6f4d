// Command echo is the conformance harness's stand-in for upstream's echo-basic image: the same
// protocol (SPEC.md §9 of ../shared/conformance/gateway-api), but every listener binds the one
// address in BIND_ADDRESS (the Pod IP the node stand-in gave the Pod, 127.0.x.y), so many "Pods"
// share this machine's loopback without sharing ports.
//
// Modes, chosen by environment as upstream does: GRPC_ECHO_SERVER set gives gRPC,
// TCP_ECHO_SERVER set gives the TCP dialogue, DNS_STAND_IN set gives a tiny DNS server (for the
// coredns Pod of the base manifests), otherwise HTTP (HTTP_PORT, H2C_PORT, and HTTPS_PORT when
// TLS_SERVER_CERT and TLS_SERVER_PRIVKEY are set).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/reflection"
	pb "sigs.k8s.io/gateway-api/conformance/echo-basic/grpcechoserver"
)

type podInfo struct {
	Namespace string `json:"namespace"`
	Ingress   string `json:"ingress"`
	Service   string `json:"service"`
	Pod       string `json:"pod"`
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

var bind = env("BIND_ADDRESS", "127.0.0.1")

func info() podInfo {
	return podInfo{
		Namespace: os.Getenv("NAMESPACE"),
		Ingress:   os.Getenv("INGRESS_NAME"),
		Service:   os.Getenv("SERVICE_NAME"),
		Pod:       os.Getenv("POD_NAME"),
	}
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	switch {
	case os.Getenv("GRPC_ECHO_SERVER") != "":
		runGRPC()
	case os.Getenv("TCP_ECHO_SERVER") != "":
		runTCP()
	case os.Getenv("DNS_STAND_IN") != "":
		runDNS()
	default:
		runHTTP()
	}
}

func hostPort(port string) string { return net.JoinHostPort(bind, port) }

// ---------------------------------------------------------------------------------------------
// HTTP mode

type tlsInfo struct {
	Version            string   `json:"version"`
	PeerCertificates   []string `json:"peerCertificates,omitempty"`
	ServerName         string   `json:"serverName"`
	NegotiatedProtocol string   `json:"negotiatedProtocol,omitempty"`
	CipherSuite        string   `json:"cipherSuite"`
}

type echoReply struct {
	Path      string              `json:"path"`
	Host      string              `json:"host"`
	Method    string              `json:"method"`
	Proto     string              `json:"proto"`
	Headers   map[string][]string `json:"headers"`
	HTTPPort  string              `json:"httpPort"`
	Namespace string              `json:"namespace"`
	Ingress   string              `json:"ingress"`
	Service   string              `json:"service"`
	Pod       string              `json:"pod"`
	TLS       *tlsInfo            `json:"tls,omitempty"`
}

var (
	httpPort    = env("HTTP_PORT", "3000")
	statusPath  = regexp.MustCompile(`^/status/(\d{3})$`)
	attemptsMu  sync.Mutex
	attemptsFor = map[string]int{}
)

func runHTTP() {
	pod := info()
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("OK"))
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		m := statusPath.FindStringSubmatch(r.RequestURI)
		if m == nil {
			http.Error(w, "status must be /status/NNN", http.StatusBadRequest)
			return
		}
		code, _ := strconv.Atoi(m[1])
		w.WriteHeader(code)
	})
	mux.HandleFunc("/retry/", func(w http.ResponseWriter, r *http.Request) { retry(w, r, pod) })
	mux.Handle("/ws", websocket.Handler(func(c *websocket.Conn) {
		var msg []byte
		for {
			if err := websocket.Message.Receive(c, &msg); err != nil {
				return
			}
			if err := websocket.Message.Send(c, msg); err != nil {
				return
			}
		}
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { echo(w, r, pod) })
	// Routing ignores doubled slashes, as upstream's does; the echoed path stays the raw URI.
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "//") {
			r2 := r.Clone(r.Context())
			for strings.Contains(r2.URL.Path, "//") {
				r2.URL.Path = strings.ReplaceAll(r2.URL.Path, "//", "/")
			}
			mux.ServeHTTP(w, r2)
			return
		}
		mux.ServeHTTP(w, r)
	})

	errs := make(chan error, 3)
	go func() {
		srv := &http.Server{Addr: hostPort(httpPort), Handler: handler, ReadHeaderTimeout: 30 * time.Second}
		errs <- srv.ListenAndServe()
	}()
	go func() {
		h2cOnly := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor != 2 && r.Header.Get("Upgrade") != "h2c" {
				http.Error(w, "Expected h2c request", http.StatusBadRequest)
				return
			}
			handler.ServeHTTP(w, r)
		})
		srv := &http.Server{
			Addr:              hostPort(env("H2C_PORT", "3001")),
			Handler:           h2c.NewHandler(h2cOnly, &http2.Server{}),
			ReadHeaderTimeout: 30 * time.Second,
		}
		errs <- srv.ListenAndServe()
	}()
	cert, key := os.Getenv("TLS_SERVER_CERT"), os.Getenv("TLS_SERVER_PRIVKEY")
	if cert != "" && key != "" {
		go func() {
			cfg := &tls.Config{MinVersion: tls.VersionTLS12}
			if ca := os.Getenv("TLS_CLIENT_CACERTS"); ca != "" {
				pemBytes, err := os.ReadFile(ca)
				if err != nil {
					errs <- err
					return
				}
				pool := x509.NewCertPool()
				pool.AppendCertsFromPEM(pemBytes)
				cfg.ClientCAs = pool
				cfg.ClientAuth = tls.VerifyClientCertIfGiven
			}
			srv := &http.Server{
				Addr:              hostPort(env("HTTPS_PORT", "8443")),
				Handler:           handler,
				TLSConfig:         cfg,
				ReadHeaderTimeout: 30 * time.Second,
			}
			errs <- srv.ListenAndServeTLS(cert, key)
		}()
	}
	log.Fatal(<-errs)
}

func retry(w http.ResponseWriter, r *http.Request, pod podInfo) {
	q := r.URL.Query()
	id, after := q.Get("uuid"), q.Get("succeedAfter")
	if id == "" || after == "" {
		http.Error(w, "retry needs the query parameters uuid and succeedAfter", http.StatusBadRequest)
		return
	}
	n, err := strconv.Atoi(after)
	if err != nil {
		http.Error(w, "succeedAfter must be a number", http.StatusBadRequest)
		return
	}
	attemptsMu.Lock()
	count := attemptsFor[id]
	fail := count < n
	if fail {
		attemptsFor[id] = count + 1
	}
	attemptsMu.Unlock()
	if !fail {
		echo(w, r, pod)
		return
	}
	if d := q.Get("delayRetry"); d != "" {
		if dur, err := time.ParseDuration(d); err == nil {
			time.Sleep(dur)
		}
	}
	if code := q.Get("responseCode"); code != "" {
		c, err := strconv.Atoi(code)
		if err != nil {
			http.Error(w, "responseCode must be a number", http.StatusBadRequest)
			return
		}
		w.WriteHeader(c)
		return
	}
	// No status asked for: reset the connection.
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func echo(w http.ResponseWriter, r *http.Request, pod podInfo) {
	if d := r.URL.Query().Get("delay"); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
			return
		}
		time.Sleep(dur)
	}
	fmt.Printf("Echoing back request made to %s to client (%s)\n", r.RequestURI, r.RemoteAddr)
	for _, h := range r.Header.Values("X-Echo-Set-Header") {
		for _, item := range strings.Split(h, ",") {
			name, value, ok := strings.Cut(strings.TrimSpace(item), ":")
			if !ok {
				continue
			}
			name, value = strings.TrimSpace(name), strings.TrimSpace(value)
			// Keep the name's case as sent; repeated names have their values joined.
			if prev, seen := w.Header()[name]; seen {
				w.Header()[name] = []string{prev[0] + "," + value}
			} else {
				w.Header()[name] = []string{value}
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	reply := echoReply{
		Path:      r.RequestURI,
		Host:      r.Host,
		Method:    r.Method,
		Proto:     r.Proto,
		Headers:   r.Header,
		HTTPPort:  httpPort,
		Namespace: pod.Namespace,
		Ingress:   pod.Ingress,
		Service:   pod.Service,
		Pod:       pod.Pod,
	}
	if r.TLS != nil {
		reply.TLS = &tlsInfo{
			Version:            tlsVersion(r.TLS.Version),
			PeerCertificates:   pemCerts(r.TLS.PeerCertificates),
			ServerName:         r.TLS.ServerName,
			NegotiatedProtocol: r.TLS.NegotiatedProtocol,
			CipherSuite:        tls.CipherSuiteName(r.TLS.CipherSuite),
		}
	}
	body, _ := json.MarshalIndent(reply, "", " ")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "TLSv1.3"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS10:
		return "TLSv1.0"
	}
	return ""
}

func pemCerts(certs []*x509.Certificate) []string {
	var out []string
	for _, c := range certs {
		out = append(out, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// gRPC mode

type grpcEcho struct {
	pb.UnimplementedGrpcEchoServer
	service string
	secure  bool
	pod     *pb.Context
}

func (s *grpcEcho) reply(ctx context.Context, method string) (*pb.EchoResponse, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	a := &pb.Assertions{FullyQualifiedMethod: "/" + s.service + "/" + method, Context: s.pod}
	for k, vs := range md {
		for _, v := range vs {
			if k == ":authority" {
				a.Authority = v
			}
			a.Headers = append(a.Headers, &pb.Header{Key: k, Value: v})
		}
	}
	if s.secure {
		if p, ok := peer.FromContext(ctx); ok {
			if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
				a.TlsAssertions = &pb.TLSAssertions{
					Version:            tlsVersion(ti.State.Version),
					NegotiatedProtocol: ti.State.NegotiatedProtocol,
					ServerName:         ti.State.ServerName,
					CipherSuite:        tls.CipherSuiteName(ti.State.CipherSuite),
					PeerCertificates:   pemCerts(ti.State.PeerCertificates),
				}
			}
		}
	}
	fmt.Printf("gRPC %s from %v\n", a.FullyQualifiedMethod, a.Authority)
	return &pb.EchoResponse{Assertions: a}, nil
}

func (s *grpcEcho) Echo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return s.reply(ctx, "Echo")
}

func (s *grpcEcho) EchoTwo(ctx context.Context, _ *pb.EchoRequest) (*pb.EchoResponse, error) {
	return s.reply(ctx, "EchoTwo")
}

func runGRPC() {
	p := info()
	pod := &pb.Context{Namespace: p.Namespace, Ingress: p.Ingress, ServiceName: p.Service, Pod: p.Pod}
	service := string(pb.File_grpcecho_proto.Services().ByName("GrpcEcho").FullName())
	errs := make(chan error, 2)
	serve := func(addr string, secure bool, opts ...grpc.ServerOption) {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			errs <- err
			return
		}
		s := grpc.NewServer(opts...)
		pb.RegisterGrpcEchoServer(s, &grpcEcho{service: service, secure: secure, pod: pod})
		reflection.Register(s)
		errs <- s.Serve(lis)
	}
	go serve(hostPort(env("HTTP_PORT", "3000")), false)
	cert, key := os.Getenv("TLS_SERVER_CERT"), os.Getenv("TLS_SERVER_PRIV_KEY")
	if cert != "" && key != "" {
		creds, err := credentials.NewServerTLSFromFile(cert, key)
		if err != nil {
			log.Fatal(err)
		}
		go serve(hostPort(env("HTTPS_PORT", "8443")), true, grpc.Creds(creds))
	}
	log.Fatal(<-errs)
}

// ---------------------------------------------------------------------------------------------
// TCP mode

func runTCP() {
	p := info()
	tcpPort, tlsPort := env("TCP_PORT", "3000"), env("TLS_PORT", "8443")
	errs := make(chan error, 2)
	serve := func(lis net.Listener, isTLS bool) {
		for {
			c, err := lis.Accept()
			if err != nil {
				errs <- err
				return
			}
			go tcpDialogue(c, isTLS, p, tcpPort, tlsPort)
		}
	}
	lis, err := net.Listen("tcp", hostPort(tcpPort))
	if err != nil {
		log.Fatal(err)
	}
	go serve(lis, false)
	cert, key := os.Getenv("TLS_SERVER_CERT"), os.Getenv("TLS_SERVER_PRIV_KEY")
	if cert != "" && key != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			log.Fatal(err)
		}
		tl, err := tls.Listen("tcp", hostPort(tlsPort), &tls.Config{
			Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
		})
		if err != nil {
			log.Fatal(err)
		}
		go serve(tl, true)
	}
	log.Fatal(<-errs)
}

func tcpDialogue(c net.Conn, isTLS bool, p podInfo, tcpPort, tlsPort string) {
	defer c.Close()
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			return
		}
	}
	if _, err := c.Write([]byte("Gateway API Test TCP Server\n")); err != nil {
		return
	}
	in := bufio.NewScanner(c)
	for in.Scan() {
		var out string
		switch strings.TrimSpace(in.Text()) {
		case "PING":
			out = "PONG"
		case "IS_TLS":
			out = strconv.FormatBool(isTLS)
		case "TEST":
			payload := map[string]any{
				"namespace": p.Namespace, "ingress": p.Ingress, "service": p.Service, "pod": p.Pod,
				"tcpport": tcpPort, "tlsport": tlsPort, "isTLS": isTLS,
			}
			if tc, ok := c.(*tls.Conn); ok {
				st := tc.ConnectionState()
				t := map[string]string{"version": tls.VersionName(st.Version), "cipherSuite": tls.CipherSuiteName(st.CipherSuite)}
				if st.ServerName != "" {
					t["serverName"] = st.ServerName
				}
				if st.NegotiatedProtocol != "" {
					t["negotiatedProtocol"] = st.NegotiatedProtocol
				}
				payload["tls"] = t
			}
			b, _ := json.Marshal(payload)
			out = string(b)
		default:
			out = "UNKNOWN"
		}
		if _, err := c.Write([]byte(out + "\n")); err != nil {
			return
		}
	}
}

// ---------------------------------------------------------------------------------------------
// DNS stand-in (the coredns Pod): answers A queries under foo.bar.com with the client's address,
// like coredns's whoami, and refuses the rest (this machine has no upstream resolver to forward
// to). UDPRoute tests are not in the GATEWAY-HTTP/-TLS/-GRPC profiles.

func runDNS() {
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) == 1 && dns.IsSubDomain("foo.bar.com.", q.Question[0].Name) && q.Question[0].Qtype == dns.TypeA {
			host, _, _ := net.SplitHostPort(w.RemoteAddr().String())
			m.Answer = append(m.Answer, &dns.A{
				Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0},
				A:   net.ParseIP(host),
			})
		} else {
			m.Rcode = dns.RcodeRefused
		}
		_ = w.WriteMsg(m)
	})
	errs := make(chan error, 2)
	for _, netw := range []string{"udp", "tcp"} {
		srv := &dns.Server{Addr: hostPort(env("DNS_PORT", "53")), Net: netw, Handler: handler}
		go func() { errs <- srv.ListenAndServe() }()
	}
	err := <-errs
	if err != nil && !errors.Is(err, net.ErrClosed) {
		log.Fatal(err)
	}
}
