// The translation half of the performance duel, Envoy Gateway's side (bench/duel/duel.py copies
// this file into internal/duelbench/ of the writable module copy that build-eg.sh keeps, since the
// translator packages are internal). Resources to xDS in one process: the gatewayapi translator
// (statuses, xDS IR, infra IR) set up as the gatewayapi runner sets it up for the default
// EnvoyGateway config, then the xds translator on every IR, as the xds runner does. The YAML is
// read and parsed before timing. Prints one "RESULT {json}" line.
//
//	DUEL_INPUT=scale.yaml DUEL_RUNS=10 ./duelbench.test -test.run TestDuelTranslate -test.v
package duelbench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/envoyproxy/gateway/internal/gatewayapi"
	"github.com/envoyproxy/gateway/internal/gatewayapi/resource"
	"github.com/envoyproxy/gateway/internal/logging"
	"github.com/envoyproxy/gateway/internal/xds/translator"
)

func TestDuelTranslate(t *testing.T) {
	path := os.Getenv("DUEL_INPUT")
	if path == "" {
		t.Skip("DUEL_INPUT not set")
	}
	runs := 10
	if v, err := strconv.Atoi(os.Getenv("DUEL_RUNS")); err == nil && v > 0 {
		runs = v
	}
	parseStart := time.Now()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Typed objects, as the Kubernetes provider hands them to the translator. (The YAML loader
	// behind egctl and the file provider validates each object against its CRD schema, which took
	// 15 s for 200 objects here, and it keeps no EndpointSlices.)
	res := resource.NewResources()
	objects := 0
	if err := resource.IterYAMLBytes(data, func(doc []byte) error {
		objects++
		var head struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return err
		}
		var err error
		switch head.Kind {
		case "GatewayClass":
			o := &gwapiv1.GatewayClass{}
			err = yaml.Unmarshal(doc, o)
			res.GatewayClass = o
		case "Gateway":
			o := &gwapiv1.Gateway{}
			err = yaml.Unmarshal(doc, o)
			res.Gateways = append(res.Gateways, o)
		case "HTTPRoute":
			o := &gwapiv1.HTTPRoute{}
			err = yaml.Unmarshal(doc, o)
			res.HTTPRoutes = append(res.HTTPRoutes, o)
		case "Namespace":
			o := &corev1.Namespace{}
			err = yaml.Unmarshal(doc, o)
			res.Namespaces = append(res.Namespaces, o)
		case "Service":
			o := &corev1.Service{}
			err = yaml.Unmarshal(doc, o)
			res.Services = append(res.Services, o)
		case "EndpointSlice":
			o := &discoveryv1.EndpointSlice{}
			err = yaml.Unmarshal(doc, o)
			res.EndpointSlices = append(res.EndpointSlices, o)
		case "BackendTrafficPolicy":
			o := &egv1a1.BackendTrafficPolicy{}
			err = yaml.Unmarshal(doc, o)
			res.BackendTrafficPolicies = append(res.BackendTrafficPolicies, o)
		default:
			err = fmt.Errorf("kind %q is not handled by this benchmark", head.Kind)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if res.GatewayClass == nil {
		t.Fatal("no GatewayClass in the input")
	}
	res.Sort()
	fmt.Printf("parsed %d objects in %s\n", objects, time.Since(parseStart))
	logger := logging.DefaultLogger(io.Discard, egv1a1.LogLevelInfo)
	once := func() (time.Duration, time.Duration, int, int) {
		t0 := time.Now()
		gt := &gatewayapi.Translator{
			GatewayControllerName: egv1a1.GatewayControllerName,
			GatewayClassName:      gwapiv1.ObjectName(res.GatewayClass.Name),
			BackendEnabled:        false,
			MergeGateways:         gatewayapi.IsMergeGatewaysEnabled(res),
			MergeBackends:         gatewayapi.ResolveMergeBackendsConfig(res),
			Logger:                logger,
		}
		// As in the runner, an error here is logged and the result still published.
		result, _ := gt.Translate(res)
		t1 := time.Now()
		keys := make([]string, 0, len(result.XdsIR))
		for k := range result.XdsIR {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		routes, clusters := 0, 0
		for _, k := range keys {
			x := result.XdsIR[k]
			xt := &translator.Translator{FilterOrder: x.FilterOrder, Logger: logger}
			rvt, err := xt.Translate(x)
			if err != nil {
				t.Fatal(err)
			}
			xr := rvt.GetXdsResources()
			for _, l := range x.HTTP {
				routes += len(l.Routes)
			}
			clusters += len(xr["type.googleapis.com/envoy.config.cluster.v3.Cluster"])
		}
		return time.Since(t0), t1.Sub(t0), routes, clusters
	}
	warm := runs
	if warm < 5 {
		warm = 5
	}
	for i := 0; i < warm; i++ {
		once()
	}
	total := make([]float64, runs)
	toIR := make([]float64, runs)
	routes, clusters := 0, 0
	for i := 0; i < runs; i++ {
		a, b, r, c := once()
		total[i] = float64(a.Microseconds()) / 1000
		toIR[i] = float64(b.Microseconds()) / 1000
		routes, clusters = r, c
	}
	sort.Float64s(total)
	sort.Float64s(toIR)
	out, _ := json.Marshal(map[string]any{
		"objects": objects, "ir_routes": routes, "clusters": clusters, "runs": runs,
		"median_ms": total[runs/2], "min_ms": total[0], "max_ms": total[runs-1],
		"to_ir_median_ms": toIR[runs/2],
	})
	fmt.Printf("RESULT %s\n", out)
}
