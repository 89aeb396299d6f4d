// The upstream Gateway API conformance suite (sigs.k8s.io/gateway-api/conformance v1.6.1), run
// against the cluster of the kubeconfig in KUBECONFIG. Every option comes from upstream's own
// flags (--gateway-class, --conformance-profiles, --supported-features, --report-output, ...);
// run.sh passes them.
package suite_test

import (
	"testing"

	"sigs.k8s.io/gateway-api/conformance"
)

func TestConformance(t *testing.T) {
	conformance.RunConformance(t)
}
