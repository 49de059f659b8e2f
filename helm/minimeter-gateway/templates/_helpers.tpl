{{/*
Names and labels.
*/}}
{{- define "minimeter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "minimeter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "minimeter.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "minimeter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "minimeter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "minimeter.labels" -}}
helm.sh/chart: {{ include "minimeter.chart" . }}
{{ include "minimeter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "minimeter.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
storage.type with its default: hostPath for a DaemonSet (the register stays on the node the
meters are wired to), pvc for a Deployment (the pod may move).
*/}}
{{- define "minimeter.storageType" -}}
{{- .Values.storage.type | default (ternary "hostPath" "pvc" (eq .Values.kind "DaemonSet")) }}
{{- end }}

{{- define "minimeter.claimName" -}}
{{- .Values.storage.pvc.existingClaim | default (printf "%s-data" (include "minimeter.fullname" .)) }}
{{- end }}

{{/*
The gateways this release runs, as YAML {items: [...]}: one without fleet profiles, else one
per profile. Each item has its resource name, its profile ("" for none) and the values that a
profile may override, already resolved: meters (replaced), gatewayId, config (merged key by
key), hardware (replaced key by key) and resources.
*/}}
{{- define "minimeter.instances" -}}
{{- $items := list }}
{{- $base := dict "meters" (.Values.meters | default dict) "gatewayId" (.Values.gateway.id | default "") "config" (.Values.config | default dict) "hardware" .Values.hardware "resources" .Values.resources }}
{{- $profiles := .Values.fleet.profiles | default dict }}
{{- if not $profiles }}
{{- $items = append $items (merge (dict "name" (include "minimeter.fullname" .) "profile" "") $base) }}
{{- else }}
{{- range $profile, $p := $profiles }}
{{- $p = $p | default dict }}
{{- $config := deepCopy $base.config }}
{{- range $k, $v := ($p.config | default dict) }}
{{- $_ := set $config $k $v }}
{{- end }}
{{- $hardware := deepCopy $base.hardware }}
{{- range $k, $v := ($p.hardware | default dict) }}
{{- $_ := set $hardware $k $v }}
{{- end }}
{{- $name := printf "%s-%s" (include "minimeter.fullname" $) $profile | trunc 63 | trimSuffix "-" }}
{{- $item := dict "name" $name "profile" $profile
      "meters" (ternary $p.meters $base.meters (hasKey $p "meters"))
      "gatewayId" ($p.gatewayId | default $profile)
      "config" $config
      "hardware" $hardware
      "resources" (ternary $p.resources $base.resources (hasKey $p "resources")) }}
{{- $items = append $items $item }}
{{- end }}
{{- end }}
{{- dict "items" $items | toYaml }}
{{- end }}

{{/*
One value as a .properties value: lists joined with commas, whole numbers without an exponent
(YAML numbers reach templates as float64, and 8192000 would print as 8.192e+06), backslashes
and line breaks escaped.
*/}}
{{- define "minimeter.propertyValue" -}}
{{- $v := . }}
{{- if kindIs "slice" $v }}
{{- $parts := list }}
{{- range $v }}{{ $parts = append $parts (include "minimeter.propertyValue" .) }}{{ end }}
{{- join "," $parts }}
{{- else if kindIs "float64" $v }}
{{- if and (eq (floor $v) $v) (lt $v 1e15) (gt $v -1e15) }}{{ printf "%d" (int64 $v) }}{{ else }}{{ $v }}{{ end }}
{{- else if kindIs "string" $v }}
{{- $v | replace "\\" "\\\\" | replace "\n" "\\n" | replace "\r" "\\r" }}
{{- else }}
{{- $v }}
{{- end }}
{{- end }}

{{/*
A map flattened to key=value lines under a prefix: meters: {house: {spi: {bus: 0}}} becomes
meters.house.spi.bus=0. Nulls are left out (null is how a values file removes a key).
Takes dict "prefix" "..." "value" <map or scalar>.
*/}}
{{- define "minimeter.flatten" -}}
{{- $prefix := .prefix }}
{{- if kindIs "map" .value }}
{{- range $k, $v := .value }}
{{- include "minimeter.flatten" (dict "prefix" (ternary $k (printf "%s.%s" $prefix $k) (eq $prefix "")) "value" $v) }}
{{- end }}
{{- else if not (kindIs "invalid" .value) }}
{{ $prefix }}={{ include "minimeter.propertyValue" .value }}
{{- end }}
{{- end }}

{{/*
The application.properties of one gateway. Takes dict "root" $ "inst" <instance>. Paths and
switches only: every secret reaches the process from a Secret, as an env var or a file.
*/}}
{{- define "minimeter.properties" -}}
{{- $v := .root.Values }}
{{- $inst := .inst -}}
# Rendered by the {{ .root.Chart.Name }} chart from its values{{ if $inst.profile }} (fleet profile {{ $inst.profile }}){{ end }}.
# Secrets are not here: MQTT_PASSWORD and API_TOKEN_SHA256 come from Secrets as env vars.
# The rank of config/application.properties: environment variables (300) and -D (400) override
# these keys, the built-in defaults (250) yield to them. A file named by QUARKUS_CONFIG_LOCATIONS
# without it would override the environment.
config_ordinal=260
storage.dir={{ $v.storage.mountPath }}
{{- if $inst.gatewayId }}
gateway.id={{ $inst.gatewayId }}
{{- end }}
{{- if $v.mqtt.host }}
mqtt.host={{ $v.mqtt.host }}
{{- end }}
mqtt.port={{ include "minimeter.propertyValue" $v.mqtt.port }}
{{- if $v.mqtt.username }}
mqtt.username={{ include "minimeter.propertyValue" $v.mqtt.username }}
{{- end }}
mqtt.topic-prefix={{ $v.mqtt.topicPrefix }}
mqtt.protocol={{ $v.mqtt.protocol }}
mqtt.tls={{ $v.mqtt.tls.enabled }}
{{- if and $v.mqtt.tls.enabled $v.mqtt.tls.existingSecret }}
{{- if $v.mqtt.tls.caKey }}
mqtt.tls-ca=/etc/minimeter/tls/ca.crt
{{- end }}
{{- if $v.mqtt.tls.certKey }}
mqtt.tls-cert=/etc/minimeter/tls/tls.crt
mqtt.tls-key=/etc/minimeter/tls/tls.key
{{- end }}
{{- end }}
ha.discovery.enabled={{ $v.ha.discovery.enabled }}
ha.discovery.prefix={{ $v.ha.discovery.prefix }}
{{- if $inst.config }}
# config
{{- include "minimeter.flatten" (dict "prefix" "" "value" $inst.config) }}
{{- end }}
{{- if $inst.meters }}
# meters
{{- include "minimeter.flatten" (dict "prefix" "meters" "value" $inst.meters) }}
{{- end }}
{{- end }}

{{/*
Checks that span several values (the schema checks each value alone). Renders nothing.
*/}}
{{- define "minimeter.validate" -}}
{{- $storage := include "minimeter.storageType" . }}
{{- if and (eq .Values.kind "DaemonSet") (eq $storage "pvc") }}
{{- fail "storage.type=pvc with kind=DaemonSet: every node's gateway would share one claim and one register. Use storage.type=hostPath (each node keeps its own register) or kind=Deployment." }}
{{- end }}
{{- if and (eq .Values.kind "Deployment") .Values.fleet.profiles }}
{{- fail "fleet.profiles needs kind=DaemonSet: a profile is a set of nodes, and a Deployment's pod is not tied to one." }}
{{- end }}
{{- if and (eq .Values.kind "Deployment") (eq $storage "hostPath") (not .Values.nodeSelector) }}
{{- fail "storage.type=hostPath with kind=Deployment needs a nodeSelector that pins the pod to one node: otherwise a rescheduled pod starts on another node's (empty) register. Use storage.type=pvc, or set nodeSelector (e.g. kubernetes.io/hostname)." }}
{{- end }}
{{- if and .Values.mqtt.tls.enabled (not .Values.mqtt.host) }}
{{- fail "mqtt.tls.enabled needs mqtt.host: the embedded broker speaks plain MQTT on the pod's loopback only." }}
{{- end }}
{{- $tls := .Values.mqtt.tls }}
{{- if and $tls.enabled $tls.existingSecret (not $tls.caKey) (not $tls.certKey) }}
{{- fail "mqtt.tls.existingSecret is set but names no file: set mqtt.tls.caKey and/or mqtt.tls.certKey with mqtt.tls.keyKey." }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled (not .Values.service.enabled) }}
{{- fail "serviceMonitor.enabled needs service.enabled: the ServiceMonitor finds the gateways through their Service." }}
{{- end }}
{{- end }}

{{/*
A device's volume name: /dev/spidev0.0 -> dev-spidev0-0.
*/}}
{{- define "minimeter.deviceVolume" -}}
{{- printf "dev-%s" (trimPrefix "/dev/" . | replace "/" "-" | replace "." "-" | replace "_" "-" | lower) | trunc 63 | trimSuffix "-" }}
{{- end }}
