// The oracle of the differential status tester (bench/diff/diff.py copies this file into
// internal/diffstatus/ of the writable Envoy Gateway module copy that bench/duel/build-eg.sh keeps,
// since the translator packages are internal, and compiles it once with `go test -c`).
//
// For every line "INPUT<TAB>CONFIG<TAB>OUTPUT" of $DIFF_LIST it reads INPUT (a plain Kubernetes
// YAML stream: the resources and the fixtures, as the status corpus writes them) and CONFIG (an
// EnvoyGateway configuration), runs Envoy Gateway's gatewayapi translator set up as the gatewayapi
// runner sets it up from that configuration (with the mock Wasm cache of the translator's own
// golden-file test), and writes OUTPUT: JSON {"resources": [{kind, namespace, name, status}],
// "error": "...", "skipped": [kinds it does not load]}.
//
//	DIFF_LIST=list.tsv ./diffstatus.test -test.run TestDiffStatus
package diffstatus

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"testing"

	certificatesv1b1 "k8s.io/api/certificates/v1beta1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1b1 "sigs.k8s.io/gateway-api/apis/v1beta1"
	mcsapiv1a1 "sigs.k8s.io/mcs-api/pkg/apis/v1alpha1"
	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/envoyproxy/gateway/internal/gatewayapi"
	"github.com/envoyproxy/gateway/internal/gatewayapi/resource"
	"github.com/envoyproxy/gateway/internal/logging"
	"github.com/envoyproxy/gateway/internal/wasm"
)

// mockWasmCache answers like the mock of Envoy Gateway's translator test: a URL and a checksum
// derived from the download URL, an error when a configured checksum differs.
type mockWasmCache struct{}

var _ wasm.Cache = &mockWasmCache{}

func (m *mockWasmCache) Start(_ context.Context) {}
func (m *mockWasmCache) Cleanup()                {}
func (m *mockWasmCache) Get(downloadURL string, options *wasm.GetOptions) (string, string, error) {
	sum := sha256.Sum256([]byte(downloadURL))
	name := hex.EncodeToString(sum[:])
	sum = sha256.Sum256(append([]byte("salt"), name...))
	checksum := hex.EncodeToString(sum[:])
	if options.Checksum != "" && checksum != options.Checksum {
		return "", "", fmt.Errorf("module downloaded from %v has checksum %v, which does not match: %v", downloadURL, checksum, options.Checksum)
	}
	return fmt.Sprintf("https://envoy-gateway.envoy-gateway-system.svc.cluster.local:18002/%s.wasm", name), checksum, nil
}

type loaded struct {
	res         *resource.Resources
	envoyProxy  []*egv1a1.EnvoyProxy
	skipped     []string
	gatewayName string
}

func load(data []byte, controller string) (*loaded, error) {
	l := &loaded{res: resource.NewResources()}
	r := l.res
	var classes []*gwapiv1.GatewayClass
	err := resource.IterYAMLBytes(data, func(doc []byte) error {
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return err
		}
		un := func(o any) error { return yaml.Unmarshal(doc, o) }
		var err error
		switch head.Kind {
		case "":
			return nil
		case "GatewayClass":
			o := &gwapiv1.GatewayClass{}
			err = un(o)
			classes = append(classes, o)
		case "Gateway":
			o := &gwapiv1.Gateway{}
			err = un(o)
			r.Gateways = append(r.Gateways, o)
		case "ListenerSet", "XListenerSet":
			o := &gwapiv1.ListenerSet{}
			err = un(o)
			r.ListenerSets = append(r.ListenerSets, o)
		case "HTTPRoute":
			o := &gwapiv1.HTTPRoute{}
			err = un(o)
			r.HTTPRoutes = append(r.HTTPRoutes, o)
		case "GRPCRoute":
			o := &gwapiv1.GRPCRoute{}
			err = un(o)
			r.GRPCRoutes = append(r.GRPCRoutes, o)
		case "TLSRoute":
			o := &gwapiv1.TLSRoute{}
			err = un(o)
			r.TLSRoutes = append(r.TLSRoutes, o)
		case "TCPRoute":
			o := &gwapiv1.TCPRoute{}
			err = un(o)
			r.TCPRoutes = append(r.TCPRoutes, o)
		case "UDPRoute":
			o := &gwapiv1.UDPRoute{}
			err = un(o)
			r.UDPRoutes = append(r.UDPRoutes, o)
		case "ReferenceGrant":
			o := &gwapiv1b1.ReferenceGrant{}
			err = un(o)
			r.ReferenceGrants = append(r.ReferenceGrants, o)
		case "Namespace":
			o := &corev1.Namespace{}
			err = un(o)
			r.Namespaces = append(r.Namespaces, o)
		case "Service":
			o := &corev1.Service{}
			err = un(o)
			r.Services = append(r.Services, o)
		case "ServiceImport":
			o := &mcsapiv1a1.ServiceImport{}
			err = un(o)
			r.ServiceImports = append(r.ServiceImports, o)
		case "EndpointSlice":
			o := &discoveryv1.EndpointSlice{}
			err = un(o)
			r.EndpointSlices = append(r.EndpointSlices, o)
		case "Secret":
			o := &corev1.Secret{}
			err = un(o)
			r.Secrets = append(r.Secrets, o)
		case "ConfigMap":
			o := &corev1.ConfigMap{}
			err = un(o)
			r.ConfigMaps = append(r.ConfigMaps, o)
		case "EnvoyPatchPolicy":
			o := &egv1a1.EnvoyPatchPolicy{}
			err = un(o)
			r.EnvoyPatchPolicies = append(r.EnvoyPatchPolicies, o)
		case "ClientTrafficPolicy":
			o := &egv1a1.ClientTrafficPolicy{}
			err = un(o)
			r.ClientTrafficPolicies = append(r.ClientTrafficPolicies, o)
		case "BackendTrafficPolicy":
			o := &egv1a1.BackendTrafficPolicy{}
			err = un(o)
			r.BackendTrafficPolicies = append(r.BackendTrafficPolicies, o)
		case "SecurityPolicy":
			o := &egv1a1.SecurityPolicy{}
			err = un(o)
			r.SecurityPolicies = append(r.SecurityPolicies, o)
		case "BackendTLSPolicy":
			o := &gwapiv1.BackendTLSPolicy{}
			err = un(o)
			r.BackendTLSPolicies = append(r.BackendTLSPolicies, o)
		case "EnvoyExtensionPolicy":
			o := &egv1a1.EnvoyExtensionPolicy{}
			err = un(o)
			r.EnvoyExtensionPolicies = append(r.EnvoyExtensionPolicies, o)
		case "Backend":
			o := &egv1a1.Backend{}
			err = un(o)
			r.Backends = append(r.Backends, o)
		case "HTTPRouteFilter":
			o := &egv1a1.HTTPRouteFilter{}
			err = un(o)
			r.HTTPRouteFilters = append(r.HTTPRouteFilters, o)
		case "ClusterTrustBundle":
			o := &certificatesv1b1.ClusterTrustBundle{}
			err = un(o)
			r.ClusterTrustBundles = append(r.ClusterTrustBundles, o)
		case "EnvoyProxy":
			o := &egv1a1.EnvoyProxy{}
			err = un(o)
			l.envoyProxy = append(l.envoyProxy, o)
		default:
			l.skipped = append(l.skipped, head.Kind)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	// The class this controller manages: the first one naming it (the provider reconciles one).
	for _, gc := range classes {
		if string(gc.Spec.ControllerName) == controller {
			r.GatewayClass = gc
			break
		}
	}
	if r.GatewayClass == nil {
		return nil, fmt.Errorf("no GatewayClass with controllerName %s", controller)
	}
	// EnvoyProxy: the one the class's parametersRef names is the class's, the others are the
	// Gateways' (the provider loads those the Gateways name; the translator looks them up).
	pr := r.GatewayClass.Spec.ParametersRef
	for _, ep := range l.envoyProxy {
		if pr != nil && string(pr.Kind) == "EnvoyProxy" && pr.Name == ep.Name &&
			pr.Namespace != nil && string(*pr.Namespace) == ep.Namespace && r.EnvoyProxyForGatewayClass == nil {
			r.EnvoyProxyForGatewayClass = ep
		} else {
			r.EnvoyProxiesForGateways = append(r.EnvoyProxiesForGateways, ep)
		}
	}
	return l, nil
}

type statusOf struct {
	Kind      string          `json:"kind"`
	Namespace string          `json:"namespace"`
	Name      string          `json:"name"`
	Status    json.RawMessage `json:"status"`
}

type caseResult struct {
	Resources []statusOf `json:"resources"`
	Error     string     `json:"error,omitempty"`
	Skipped   []string   `json:"skipped,omitempty"`
}

func statuses(res *resource.Resources) ([]statusOf, error) {
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	kindOf := map[string]string{
		"gatewayClass": "GatewayClass", "envoyProxyForGatewayClass": "EnvoyProxy",
		"envoyProxiesForGateways": "EnvoyProxy", "gateways": "Gateway", "listenerSets": "ListenerSet",
		"httpRoutes": "HTTPRoute", "grpcRoutes": "GRPCRoute", "tlsRoutes": "TLSRoute",
		"tcpRoutes": "TCPRoute", "udpRoutes": "UDPRoute", "envoyPatchPolicies": "EnvoyPatchPolicy",
		"clientTrafficPolicies": "ClientTrafficPolicy", "backendTrafficPolicies": "BackendTrafficPolicy",
		"securityPolicies": "SecurityPolicy", "backendTLSPolicies": "BackendTLSPolicy",
		"envoyExtensionPolicies": "EnvoyExtensionPolicy", "backends": "Backend",
		"httpFilters": "HTTPRouteFilter",
	}
	type obj struct {
		Metadata struct {
			Namespace string `json:"namespace"`
			Name      string `json:"name"`
		} `json:"metadata"`
		Status json.RawMessage `json:"status"`
	}
	seen := map[string]int{}
	var out []statusOf
	fields := make([]string, 0, len(kindOf))
	for f := range kindOf {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v, ok := m[f]
		if !ok {
			continue
		}
		var items []obj
		if strings.HasPrefix(strings.TrimSpace(string(v)), "[") {
			if err := json.Unmarshal(v, &items); err != nil {
				return nil, err
			}
		} else {
			var o obj
			if err := json.Unmarshal(v, &o); err != nil {
				return nil, err
			}
			items = []obj{o}
		}
		for _, o := range items {
			s := statusOf{Kind: kindOf[f], Namespace: o.Metadata.Namespace, Name: o.Metadata.Name, Status: o.Status}
			if s.Kind == "GatewayClass" {
				s.Namespace = ""
			}
			key := s.Kind + "/" + s.Namespace + "/" + s.Name
			if i, dup := seen[key]; dup {
				if len(out[i].Status) < len(s.Status) {
					out[i] = s
				}
				continue
			}
			seen[key] = len(out)
			out = append(out, s)
		}
	}
	return out, nil
}

func translateOne(inPath, cfgPath string) (result caseResult) {
	defer func() {
		if p := recover(); p != nil {
			result = caseResult{Error: fmt.Sprintf("panic: %v", p)}
		}
	}()
	cfgData, err := os.ReadFile(cfgPath)
	if err != nil {
		return caseResult{Error: err.Error()}
	}
	eg := &egv1a1.EnvoyGateway{}
	if err := yaml.Unmarshal(cfgData, eg); err != nil {
		return caseResult{Error: "config: " + err.Error()}
	}
	controller := egv1a1.GatewayControllerName
	if eg.Gateway != nil && eg.Gateway.ControllerName != "" {
		controller = eg.Gateway.ControllerName
	}
	data, err := os.ReadFile(inPath)
	if err != nil {
		return caseResult{Error: err.Error()}
	}
	l, err := load(data, controller)
	if err != nil {
		return caseResult{Error: "input: " + err.Error()}
	}
	res := l.res
	res.EnvoyProxyDefaultSpec = eg.EnvoyProxy
	ext := eg.ExtensionAPIs
	t := &gatewayapi.Translator{
		GatewayControllerName:           controller,
		GatewayClassName:                gwapiv1.ObjectName(res.GatewayClass.Name),
		GlobalRateLimitEnabled:          eg.RateLimit != nil,
		EnvoyPatchPolicyEnabled:         ext != nil && ext.EnableEnvoyPatchPolicy,
		BackendEnabled:                  ext != nil && ext.EnableBackend,
		SDSSecretRefEnabled:             ext != nil && ext.EnableSDSSecretRef,
		ControllerNamespace:             "envoy-gateway-system",
		GatewayNamespaceMode:            eg.GatewayNamespaceMode(),
		MergeGateways:                   gatewayapi.IsMergeGatewaysEnabled(res),
		MergeBackends:                   gatewayapi.ResolveMergeBackendsConfig(res),
		PerResourceSystemCASecret:       eg.RuntimeFlags.IsEnabled(egv1a1.PerResourceSystemCASecret),
		WasmCache:                       &mockWasmCache{},
		RunningOnHost:                   eg.Provider != nil && eg.Provider.IsRunningOnHost(),
		InfraRemotelyManaged:            eg.Provider != nil && eg.Provider.IsInfraManagedRemotely(),
		Logger:                          logging.DefaultLogger(io.Discard, egv1a1.LogLevelInfo),
		LuaEnvoyExtensionPolicyDisabled: ext.LuaDisabled(),
	}
	got, _ := t.Translate(res)
	if got == nil {
		return caseResult{Error: "translator returned no result", Skipped: l.skipped}
	}
	st, err := statuses(&got.Resources)
	if err != nil {
		return caseResult{Error: err.Error()}
	}
	return caseResult{Resources: st, Skipped: l.skipped}
}

func TestDiffStatus(t *testing.T) {
	list := os.Getenv("DIFF_LIST")
	if list == "" {
		t.Skip("DIFF_LIST not set")
	}
	f, err := os.Open(list)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			continue
		}
		out, err := json.Marshal(translateOne(parts[0], parts[1]))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(parts[2], out, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	fmt.Printf("diffstatus: %d inputs translated\n", n)
}
