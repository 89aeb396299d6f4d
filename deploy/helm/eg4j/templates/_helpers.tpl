{{/*
Names. Object names are <fullname>-<component>, truncated to DNS label length.
*/}}
{{- define "eg4j.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eg4j.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "eg4j.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The five services: values key, component name (= image name and object suffix), HTTP
(actuator) port, and whether the service holds a leader Lease (the translator elects its one
publisher through its Kafka consumer group instead, so it needs no Kubernetes API at all). The ports are the services'
defaults; the chart sets server.port to the same value so probes and scrapes agree.
*/}}
{{- define "eg4j.components" -}}
watcher: {key: watcher, port: 19001, leader: false, busKey: true}
translator: {key: translator, port: 19002, leader: false, busKey: true}
xds-server: {key: xdsServer, port: 19003, leader: false, busKey: true}
provisioner: {key: provisioner, port: 19004, leader: true, busKey: false}
status-writer: {key: statusWriter, port: 19005, leader: true, busKey: false}
{{- end -}}

{{/* Common labels; call with (dict "ctx" $ "component" "watcher"). */}}
{{- define "eg4j.labels" -}}
helm.sh/chart: {{ include "eg4j.chart" .ctx }}
{{ include "eg4j.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: eg4j
{{- with .ctx.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "eg4j.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eg4j.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{/* <fullname>-<component> */}}
{{- define "eg4j.componentName" -}}
{{- printf "%s-%s" (include "eg4j.fullname" .ctx) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Image reference; global.imageRegistry replaces the registry part of image.repository. */}}
{{- define "eg4j.image" -}}
{{- $repo := .ctx.Values.image.repository -}}
{{- with .ctx.Values.global.imageRegistry -}}
{{- $parts := splitn "/" 2 $repo -}}
{{- $repo = printf "%s/%s" . (default $parts._0 $parts._1) -}}
{{- end -}}
{{- printf "%s/%s:%s" $repo .component (default .ctx.Chart.AppVersion .ctx.Values.image.tag) -}}
{{- end -}}

{{/* Secret names for xDS mTLS. */}}
{{- define "eg4j.xdsServerSecret" -}}
{{- default (printf "%s-xds-server-tls" (include "eg4j.fullname" .)) .Values.xdsTls.serverSecretName -}}
{{- end -}}
{{- define "eg4j.envoySecret" -}}
{{- default (printf "%s-envoy-tls" (include "eg4j.fullname" .)) .Values.xdsTls.envoySecretName -}}
{{- end -}}
{{- define "eg4j.xdsCaSecret" -}}
{{- printf "%s-xds-ca" (include "eg4j.fullname" .) -}}
{{- end -}}
{{- define "eg4j.busKeySecret" -}}
{{- default (printf "%s-bus-key" (include "eg4j.fullname" .)) .Values.kafka.secretKey.existingSecret -}}
{{- end -}}

{{/* The in-cluster DNS name of the xDS Service. */}}
{{- define "eg4j.xdsHost" -}}
{{- printf "%s.%s.svc.%s" (include "eg4j.componentName" (dict "ctx" . "component" "xds-server")) .Release.Namespace .Values.kubernetesClusterDomain -}}
{{- end -}}

{{/* Kafka security.protocol from the tls and sasl switches. */}}
{{- define "eg4j.kafkaProtocol" -}}
{{- if and .Values.kafka.tls.enabled .Values.kafka.sasl.enabled -}}SASL_SSL
{{- else if .Values.kafka.tls.enabled -}}SSL
{{- else if .Values.kafka.sasl.enabled -}}SASL_PLAINTEXT
{{- else -}}PLAINTEXT
{{- end -}}
{{- end -}}

{{/*
The watched namespaces as a list ([] = all). In Namespaces mode the list is fixed and the
RBAC is namespaced; the release namespace is not added (the services need nothing there
beyond their own Leases, which have their own Role).
*/}}
{{- define "eg4j.watchNamespaces" -}}
{{- if eq .Values.watch.type "Namespaces" -}}
{{- $ns := .Values.watch.namespaces -}}
{{- /* The GatewayClass the chart creates references its EnvoyProxy in the release namespace: the
watcher must see it there (else the class is "InvalidParameters: the referenced EnvoyProxy was
not found"), so the release namespace is watched too, with the same Roles. */ -}}
{{- if and .Values.gatewayClass.create .Values.gatewayClass.envoyProxy -}}
{{- $ns = append $ns .Release.Namespace -}}
{{- end -}}
{{- toYaml ($ns | uniq) -}}
{{- else -}}
[]
{{- end -}}
{{- end -}}
