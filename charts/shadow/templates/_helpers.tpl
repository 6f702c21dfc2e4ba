{{- define "shadow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "shadow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "shadow.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "shadow.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "shadow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ include "shadow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: shadow
{{- end -}}

{{- define "shadow.selector" -}}
app.kubernetes.io/name: {{ include "shadow.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "shadow.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .repository $tag -}}
{{- else -}}
{{- printf "%s:%s" .repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The restricted pod-security profile, for every pod of the chart. */}}
{{- define "shadow.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsUser }}
fsGroup: {{ .Values.runAsUser }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "shadow.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Downward API: what Orleans Kubernetes hosting reads. */}}
{{- define "shadow.orleansEnv" -}}
- name: ORLEANS_SERVICE_ID
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/serviceId']" } }
- name: ORLEANS_CLUSTER_ID
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/clusterId']" } }
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
- name: DOTNET_SHUTDOWNTIMEOUTSECONDS
  value: {{ .Values.shutdownTimeoutSeconds | quote }}
- name: Shadow__Storage__ConnectionString
  valueFrom: { secretKeyRef: { name: {{ .Values.postgresql.existingSecret }}, key: {{ .Values.postgresql.connectionStringKey }} } }
{{- if .Values.agent.existingSecret }}
- name: SHADOW_AGENT_API_KEY
  valueFrom: { secretKeyRef: { name: {{ .Values.agent.existingSecret }}, key: {{ .Values.agent.apiKeyKey }} } }
{{- end }}
{{- end -}}

{{- define "shadow.checks" -}}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.shutdownTimeoutSeconds) -}}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be greater than shutdownTimeoutSeconds (%v): the kubelet would kill a silo before it handed its grains over" .Values.terminationGracePeriodSeconds .Values.shutdownTimeoutSeconds) -}}
{{- end -}}
{{- if eq .Values.workspaces.namespace .Release.Namespace -}}
{{- fail "workspaces.namespace must differ from the release namespace: workspace pods run untrusted code in a namespace of their own" -}}
{{- end -}}
{{- end -}}
