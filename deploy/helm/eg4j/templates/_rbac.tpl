{{/*
Least-privilege rules, one set per service. deploy/test/rbac_allowlist.yaml declares the same
grants independently, and deploy/test checks the rendered Roles against it.

The watcher reads every kind the translator needs (shared-model's WatchedKind.ALL) and writes
nothing.
*/}}
{{- define "eg4j.rbac.watcher.namespaced" -}}
- apiGroups: [""]
  resources: [configmaps, secrets, services]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies, gateways, grpcroutes, httproutes, listenersets, referencegrants, tcproutes, tlsroutes, udproutes]
  verbs: [get, list, watch]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends, backendtrafficpolicies, clienttrafficpolicies, envoyextensionpolicies, envoypatchpolicies, envoyproxies, httproutefilters, securitypolicies]
  verbs: [get, list, watch]
- apiGroups: [multicluster.x-k8s.io]
  resources: [serviceimports]
  verbs: [get, list, watch]
{{- end -}}

{{/* Cluster-scoped kinds: a ClusterRole even when the namespace list is fixed. */}}
{{- define "eg4j.rbac.watcher.cluster" -}}
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses]
  verbs: [get, list, watch]
- apiGroups: [certificates.k8s.io]
  resources: [clustertrustbundles]
  verbs: [get, list, watch]
{{- end -}}

{{/*
The status-writer: get the object (to compare before writing), then patch or update only its
status subresource. Kinds without a status subresource (ReferenceGrant, HTTPRouteFilter) are
absent on purpose.
*/}}
{{- define "eg4j.rbac.statusWriter.namespaced" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies, gateways, grpcroutes, httproutes, listenersets, tcproutes, tlsroutes, udproutes]
  verbs: [get]
- apiGroups: [gateway.networking.k8s.io]
  resources: [backendtlspolicies/status, gateways/status, grpcroutes/status, httproutes/status, listenersets/status, tcproutes/status, tlsroutes/status, udproutes/status]
  verbs: [get, patch, update]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends, backendtrafficpolicies, clienttrafficpolicies, envoyextensionpolicies, envoypatchpolicies, envoyproxies, securitypolicies]
  verbs: [get]
- apiGroups: [gateway.envoyproxy.io]
  resources: [backends/status, backendtrafficpolicies/status, clienttrafficpolicies/status, envoyextensionpolicies/status, envoypatchpolicies/status, envoyproxies/status, securitypolicies/status]
  verbs: [get, patch, update]
{{- end -}}

{{- define "eg4j.rbac.statusWriter.cluster" -}}
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses]
  verbs: [get]
- apiGroups: [gateway.networking.k8s.io]
  resources: [gatewayclasses/status]
  verbs: [get, patch, update]
{{- end -}}

{{/*
The provisioner renders, per proxy fleet, exactly these kinds in the release namespace
(server-side apply: patch; a null desired object: delete).
*/}}
{{- define "eg4j.rbac.provisioner" -}}
- apiGroups: [apps]
  resources: [daemonsets, deployments]
  verbs: [create, delete, get, list, patch, update, watch]
- apiGroups: [""]
  resources: [configmaps, serviceaccounts, services]
  verbs: [create, delete, get, list, patch, update, watch]
- apiGroups: [autoscaling]
  resources: [horizontalpodautoscalers]
  verbs: [create, delete, get, list, patch, update, watch]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [create, delete, get, list, patch, update, watch]
{{- end -}}

{{/* Leader election (provisioner, status-writer): a Lease in the release namespace. */}}
{{- define "eg4j.rbac.leaderElection" -}}
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [create, get, list, patch, update, watch]
{{- end -}}
