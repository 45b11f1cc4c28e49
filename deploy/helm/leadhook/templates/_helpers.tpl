{{/* The release's base name: "leadhook" for a release named leadhook. */}}
{{- define "leadhook.fullname" -}}
{{- if contains "leadhook" .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-leadhook" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels: (list . "server") for a component of leadhook,
(list . "shared-store" "leadhook-store") for the store, (list . "") for
objects of no component. */}}
{{- define "leadhook.selectorLabels" -}}
{{- $ := index . 0 -}}
app.kubernetes.io/name: {{ if gt (len .) 2 }}{{ index . 2 }}{{ else }}leadhook{{ end }}
{{- with index . 1 }}
app.kubernetes.io/component: {{ . }}
{{- end }}
app.kubernetes.io/instance: {{ $.Release.Name }}
{{- end -}}

{{/* Object labels: the selector labels, part-of and Helm's own. */}}
{{- define "leadhook.labels" -}}
{{ include "leadhook.selectorLabels" . }}
app.kubernetes.io/part-of: leadhook
app.kubernetes.io/managed-by: {{ (index . 0).Release.Service }}
helm.sh/chart: {{ printf "%s-%s" (index . 0).Chart.Name (index . 0).Chart.Version }}
{{- end -}}

{{/* Server replicas: 1 without the shared store, 2 with it (and the
PostgreSQL delivery store). */}}
{{- define "leadhook.replicas" -}}
{{- $r := .Values.replicaCount | default (ternary 2 1 .Values.sharedStore.enabled) | int -}}
{{- if and (gt $r 1) (not .Values.sharedStore.enabled) -}}
{{- fail "replicaCount > 1 needs sharedStore.enabled: without a shared store each replica dedupes only its own deliveries (a redelivery reaching another replica runs again) and keeps its own rotated Deskera refresh token" -}}
{{- end -}}
{{- if and (gt $r 1) (not .Values.postgresStore.enabled) -}}
{{- fail "replicaCount > 1 needs postgresStore.enabled: the embedded delivery store is one process's file (leadhook.db on a ReadWriteOnce volume), so each replica would queue leads alone" -}}
{{- end -}}
{{- $r -}}
{{- end -}}

{{/* LEADHOOK_REDIS_URL from the Secret, with the shared store. */}}
{{- define "leadhook.storeEnv" -}}
{{- if .Values.sharedStore.enabled }}
- name: LEADHOOK_REDIS_URL
  valueFrom:
    secretKeyRef: {name: {{ .Values.existingSecret }}, key: LEADHOOK_REDIS_URL}
{{- end }}
{{- end -}}

{{/* The pod and container security the restricted Pod Security Standard asks for. */}}
{{- define "leadhook.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
fsGroup: {{ . }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "leadhook.containerSecurity" -}}
runAsNonRoot: true
runAsUser: {{ . }}
runAsGroup: {{ . }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
{{- end -}}

{{/* The rules volume and /tmp, as the server and the sweep mount them. */}}
{{- define "leadhook.volumes" -}}
- name: rules
  configMap:
    name: {{ include "leadhook.fullname" . }}-rules
    items:
      - key: rules.yaml
        path: rules.yaml
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}
{{- define "leadhook.volumeMounts" -}}
- name: rules
  mountPath: /etc/leadhook
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Deskera credentials from the Secret; required keys. */}}
{{- define "leadhook.deskeraSecrets" -}}
{{- range list "DESKERA_CLIENT_ID" "DESKERA_CLIENT_SECRET" "DESKERA_REFRESH_TOKEN" }}
- name: {{ . }}
  valueFrom:
    secretKeyRef: {name: {{ $.Values.existingSecret }}, key: {{ . }}}
{{- end }}
{{- end -}}
