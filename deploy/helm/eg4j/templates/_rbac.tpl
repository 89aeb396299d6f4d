{{/*
Least-privilege rules, one set per service, derived from the fabric8 calls each service makes.
deploy/test/rbac-allowlist.yaml states the same grants independently, each with the code that
uses it, and deploy/test checks the rendered Roles against it (no more, no less).

Three scopes:
  .cluster    - a ClusterRole in every mode: cluster-scoped kinds, and lists/watches the code
                makes across all namespaces (inAnyNamespace()), which no Role can grant;
  .namespaced - the watched namespaces: a ClusterRole when watch.type is All or
                NamespaceSelector, a Role in each listed namespace when it is Namespaces;
  .release    - the release namespace (the proxy fleets and the leader Leases).

The watcher: informers (list + watch) on every kind of shared-model's WatchedKind.ALL, and a
one-item list to see whether the cluster serves a kind. It never gets one object, never writes.
*/}}
{{- define "eg4j.rbac.watcher.namespaced" -}}
- apiGroups: [""]
  resources: [configmaps, secrets, services]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies, gateways, grpcroutes, httproutes, listenersets, referencegrants, tcproutes, tlsroutes, udproutes]
  verbs: [list, watch]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends, backendtrafficpolicies, clienttrafficpolicies, envoyextensionpolicies, envoypatchpolicies, envoyproxies, httproutefilters, securitypolicies]
  verbs: [list, watch]
- apiGroups: [multicluster.x-k8s.io]
  resources: [serviceimports]
  verbs: [list, watch]
{{- end -}}

{{- define "eg4j.rbac.watcher.cluster" -}}
- apiGroups: [""]
  resources: [namespaces]
  verbs: [list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses]
  verbs: [list, watch]
- apiGroups: [certificates.k8s.io]
  resources: [clustertrustbundles]
  verbs: [list, watch]
{{- end -}}

{{- define "eg4j.rbac.watcher.release" -}}
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [envoy, envoy-oidc-hmac]
  verbs: [list, watch]
{{- end -}}

{{/*
The status-writer (KubernetesStatusWriter): reads the object from an informer cache
(StatusObjectCache: list + watch of every kind it writes status of) or, when the cache does not
know it, with a get; then updateStatus (a PUT of the status subresource, so a concurrent change
answers 409). Kinds without a status subresource (ReferenceGrant, HTTPRouteFilter) are absent on
purpose. GatewayClasses are also watched for their default Accepted status. To derive a Gateway's
addresses and Programmed condition it lists and watches the proxy fleets' Services, Deployments
and DaemonSets by label in every namespace, and Nodes (NodePort addresses).
In Role mode the list/watch of the status kinds is granted in the listed namespaces only, and the
cache watches each listed namespace (eg4j.status-writer.kubernetes.namespaces).
*/}}
{{- define "eg4j.rbac.statusWriter.namespaced" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies, gateways, grpcroutes, httproutes, listenersets, tcproutes, tlsroutes, udproutes]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies/status, gateways/status, grpcroutes/status, httproutes/status, listenersets/status, tcproutes/status, tlsroutes/status, udproutes/status]
  verbs: [update]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends, backendtrafficpolicies, clienttrafficpolicies, envoyextensionpolicies, envoypatchpolicies, envoyproxies, securitypolicies]
  verbs: [get, list, watch]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends/status, backendtrafficpolicies/status, clienttrafficpolicies/status, envoyextensionpolicies/status, envoypatchpolicies/status, envoyproxies/status, securitypolicies/status]
  verbs: [update]
{{- end -}}

{{- define "eg4j.rbac.statusWriter.cluster" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses/status]
  verbs: [update]
- apiGroups: [""]
  resources: [services]
  verbs: [list, watch]
- apiGroups: [apps]
  resources: [daemonsets, deployments]
  verbs: [list, watch]
- apiGroups: [""]
  resources: [nodes]
  verbs: [list, watch]
{{- end -}}

{{- define "eg4j.rbac.statusWriter.release" -}}
{{ include "eg4j.rbac.leaderElection" . }}
{{- end -}}

{{/*
The provisioner (KubernetesFleetProvisioner): server-side apply (patch; create when the object
is new), a get-then-create-or-update fallback, delete; pruning lists each fleet kind by label
in every namespace. It reads a fleet's owner (the Gateway, its GatewayClass) for ownerReferences.
Fleets run in the release namespace (the provisioner's POD_NAMESPACE), or with
provisioner.gatewayNamespaceMode in their Gateway's namespace; there, with xDS mTLS, it copies the
Envoy client certificate Secret beside each fleet (get it here, write and prune the copies there).
*/}}
{{- define "eg4j.rbac.provisioner.fleetKinds" -}}
- apiGroups: [apps]
  resources: [daemonsets, deployments]
  verbs: [create, delete, get, patch, update]
- apiGroups: [""]
  resources: [configmaps, serviceaccounts, services]
  verbs: [create, delete, get, patch, update]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [create, delete, get, patch, update]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [create, delete, get, patch, update]
{{- end -}}

{{- define "eg4j.rbac.provisioner.namespaced" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [gateways]
  verbs: [get]
{{- if .Values.provisioner.gatewayNamespaceMode }}
{{ include "eg4j.rbac.provisioner.fleetKinds" . }}
{{- if .Values.xdsTls.enabled }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [create, delete, get, patch, update]
{{- end }}
{{- end }}
{{- end -}}

{{- define "eg4j.rbac.provisioner.cluster" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses]
  verbs: [get]
- apiGroups: [apps]
  resources: [daemonsets, deployments]
  verbs: [list]
- apiGroups: [""]
  resources: [configmaps, serviceaccounts, services]
  verbs: [list]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [list]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [list]
{{- if and .Values.provisioner.gatewayNamespaceMode .Values.xdsTls.enabled }}
- apiGroups: [""]
  resources: [secrets]
  verbs: [list]
{{- end }}
{{- end -}}

{{- define "eg4j.rbac.provisioner.release" -}}
{{- if not .Values.provisioner.gatewayNamespaceMode }}
{{ include "eg4j.rbac.provisioner.fleetKinds" . }}
{{- else }}
{{- /* The global rate limit service (KubernetesRateLimitProvisioner) stays in the release
namespace: applied with rateLimit on (its HPA and PDB when rateLimitHpa and rateLimitPDB ask for
them), looked up (and deleted if it is its own) otherwise. The fleet grants above cover it
outside gateway-namespace mode. */}}
- apiGroups: [apps]
  resources: [deployments]
  verbs: [create, delete, get, patch]
- apiGroups: [""]
  resources: [configmaps, serviceaccounts, services]
  verbs: [create, delete, get, patch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [create, delete, get, patch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [create, delete, get, patch]
{{- if .Values.xdsTls.enabled }}
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [{{ include "eg4j.envoySecret" . }}]
  verbs: [get]
{{- end }}
{{- end }}
{{ include "eg4j.rbac.leaderElection" . }}
{{- end -}}

{{/*
Leader election (provisioner, status-writer): fabric8's LeaseLock gets the Lease, creates it,
and renews or takes it with a JSON merge patch.
*/}}
{{- define "eg4j.rbac.leaderElection" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create, get, patch]
{{- end -}}
