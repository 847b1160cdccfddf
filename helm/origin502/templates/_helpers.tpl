{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "origin502.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the component suffix ("-bot", "-worker"...) must still fit in 63. */}}
{{- define "origin502.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "origin502.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "origin502.selectorLabels" -}}
app.kubernetes.io/name: {{ include "origin502.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels for a component's objects. Call with (dict "root" $ "component" "worker"). */}}
{{- define "origin502.labels" -}}
helm.sh/chart: {{ include "origin502.chart" .root }}
{{ include "origin502.selectorLabels" . }}
app.kubernetes.io/part-of: origin502
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Labels for objects that belong to no single component (Secret, ServiceAccount). */}}
{{- define "origin502.commonLabels" -}}
helm.sh/chart: {{ include "origin502.chart" . }}
app.kubernetes.io/name: {{ include "origin502.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: origin502
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "origin502.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "origin502.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "origin502.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* The Secret holding the Slack tokens: the user's existingSecret or the chart's own. */}}
{{- define "origin502.slackSecretName" -}}
{{- default (include "origin502.fullname" .) .Values.slack.existingSecret }}
{{- end }}

{{- define "origin502.redisSecretName" -}}
{{- default (include "origin502.fullname" .) .Values.redis.existingSecret }}
{{- end }}

{{- define "origin502.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}REDIS_URL{{ end }}
{{- end }}

{{/* Whether the chart creates its own Secret (for Slack tokens, Redis URL, or both). */}}
{{- define "origin502.createSecret" -}}
{{- if or (not .Values.slack.existingSecret) (not .Values.redis.existingSecret) }}true{{ end }}
{{- end }}

{{/* Fails the render with one clear line per missing required value. */}}
{{- define "origin502.validate" -}}
{{- if not (or .Values.redis.url .Values.redis.existingSecret) }}
{{- fail "redis.url is required: set --set redis.url=redis://HOST:6379/0, or name a Secret holding it with redis.existingSecret" }}
{{- end }}
{{- /* Whoever can write to Redis can queue jobs and read run records: no password, no install. */}}
{{- if and .Values.redis.url .Values.redis.requireAuth (not (regexMatch "^(rediss?|unix)://[^/@]*:[^/@]+@" .Values.redis.url)) }}
{{- fail "redis.url carries no password: give Redis a password or an ACL user (redis://USER:PASSWORD@HOST:6379/0, rediss:// for TLS), or set redis.requireAuth=false to accept an open Redis" }}
{{- end }}
{{- if not .Values.slack.existingSecret }}
{{- if not .Values.slack.botToken }}
{{- fail "slack.botToken is required (xoxb-...): set it, or name a Secret holding the Slack tokens with slack.existingSecret" }}
{{- end }}
{{- if and .Values.slack.socketMode (not .Values.slack.appToken) }}
{{- fail "slack.appToken (xapp-...) is required when slack.socketMode is true" }}
{{- end }}
{{- if and (not .Values.slack.socketMode) (not .Values.slack.signingSecret) }}
{{- fail "slack.signingSecret is required in HTTP mode: set it, or use slack.socketMode=true with slack.appToken" }}
{{- end }}
{{- end }}
{{- /* "auto" (serve picks one process per whole CPU of the pod's limit) needs no check: it counts as 0 here. */}}
{{- $processes := ternary 0 (int .Values.bot.processes) (eq (toString .Values.bot.processes) "auto") }}
{{- if and .Values.slack.socketMode (gt $processes 1) }}
{{- fail (printf "bot.processes is %d, but Socket Mode runs in one process: set bot.processes=1 (or use HTTP mode)" $processes) }}
{{- end }}
{{- /* N serving processes want N cores: under a lower CPU limit they are throttled together and answer slower than one process would. */}}
{{- $limit := include "origin502.milliCPU" (dig "limits" "cpu" "" .Values.bot.resources) }}
{{- if and (gt $processes 1) $limit (lt (int $limit) (mul 1000 $processes)) }}
{{- fail (printf "bot.processes is %d but bot.resources.limits.cpu is %v: give each serving process a core (limits.cpu: %d, and requests.cpu as much as the bot should be sure to get)" $processes .Values.bot.resources.limits.cpu $processes) }}
{{- end }}
{{- if and .Values.worker.keda.enabled (not .Values.worker.keda.redisAddress) }}
{{- fail "worker.keda.redisAddress (host:port of Redis, for KEDA's Redis scaler) is required when worker.keda.enabled is true" }}
{{- end }}
{{- $as := .Values.worker.autoscaling }}
{{- if and $as.enabled (gt (int $as.minReplicas) (int $as.maxReplicas)) }}
{{- fail (printf "worker.autoscaling.minReplicas (%d) is greater than maxReplicas (%d)" (int $as.minReplicas) (int $as.maxReplicas)) }}
{{- end }}
{{- $k := .Values.worker.keda }}
{{- if and $k.enabled (gt (int $k.minReplicaCount) (int $k.maxReplicaCount)) }}
{{- fail (printf "worker.keda.minReplicaCount (%d) is greater than maxReplicaCount (%d)" (int $k.minReplicaCount) (int $k.maxReplicaCount)) }}
{{- end }}
{{- if $k.enabled }}
{{- $taken := list }}
{{- range .Values.worker.queues }}
{{- $taken = append $taken (printf "origin502-%s" .) }}
{{- /* `probe` workers also take the watch batches' queue */}}
{{- if eq . "probe" }}{{- $taken = append $taken "origin502-watch" }}{{- end }}
{{- end }}
{{- range $k.queues }}
{{- if not (has . $taken) }}
{{- fail (printf "worker.keda.queues lists %s, which these workers do not take (worker.queues: %s); scaling on it would add idle workers" . (join ", " $.Values.worker.queues)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and .Values.ingress.enabled .Values.slack.socketMode }}
{{- fail "ingress.enabled and slack.socketMode are both true: in Socket Mode Slack is reached over an outbound WebSocket and nothing should be published" }}
{{- end }}
{{- end }}

{{/* Environment shared by every role. Secrets only ever arrive through secretKeyRef. */}}
{{- define "origin502.env.common" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "origin502.redisSecretName" . }}
      key: {{ include "origin502.redisSecretKey" . }}
- name: ORIGIN502_ALLOW_PRIVATE_TARGETS
  value: {{ ternary "1" "0" .Values.origin502.allowPrivateTargets | quote }}
{{- if .Values.origin502.caBundle.configMap }}
- name: ORIGIN502_CA_FILE
  value: {{ printf "/etc/origin502/ca/%s" .Values.origin502.caBundle.key | quote }}
{{- end }}
{{- if .Values.aws.enabled }}
- name: ORIGIN502_AWS
  value: "1"
{{- with .Values.aws.roleArn }}
- name: ORIGIN502_AWS_ROLE_ARN
  value: {{ . | quote }}
{{- end }}
{{- with .Values.aws.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- with .Values.origin502.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "origin502.env.slackBotToken" -}}
- name: SLACK_BOT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "origin502.slackSecretName" . }}
      key: {{ .Values.slack.secretKeys.botToken }}
{{- if .Values.slack.apiUrl }}
- name: SLACK_API_URL
  value: {{ .Values.slack.apiUrl | quote }}
{{- end }}
{{- end }}

{{/* Volumes every pod mounts: a writable /tmp, and the CA bundle when configured. */}}
{{- define "origin502.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- if .Values.origin502.caBundle.configMap }}
- name: ca-bundle
  configMap:
    name: {{ .Values.origin502.caBundle.configMap }}
    items:
      - key: {{ .Values.origin502.caBundle.key }}
        path: {{ .Values.origin502.caBundle.key }}
{{- end }}
{{- end }}

{{- define "origin502.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.origin502.caBundle.configMap }}
- name: ca-bundle
  mountPath: /etc/origin502/ca
  readOnly: true
{{- end }}
{{- end }}

{{/* Liveness on /healthz (the process is alive; never waits on Redis, so a Redis outage restarts nothing) and readiness on /readyz (503 while Redis is unreachable) of the named port. Call with (dict "probes" .Values.bot "port" "http"). */}}
{{- define "origin502.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ .port }}
  {{- toYaml .probes.livenessProbe | nindent 2 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: {{ .port }}
  {{- toYaml .probes.readinessProbe | nindent 2 }}
{{- end }}

{{/* A pod's metadata.annotations: scrape hints, a checksum that rolls pods when the chart's Secret changes, and the user's own. */}}
{{- define "origin502.podAnnotations" -}}
{{- $annotations := dict }}
{{- if .root.Values.metrics.scrapeAnnotations }}
{{- $_ := set $annotations "prometheus.io/scrape" "true" }}
{{- $_ := set $annotations "prometheus.io/port" (toString .port) }}
{{- $_ := set $annotations "prometheus.io/path" "/metrics" }}
{{- end }}
{{- if include "origin502.createSecret" .root }}
{{- $_ := set $annotations "checksum/secret" (include (print .root.Template.BasePath "/secret.yaml") .root | sha256sum) }}
{{- end }}
{{- $annotations = merge (deepCopy .extra) $annotations }}
{{- toYaml $annotations }}
{{- end }}

{{/* A CPU quantity ("500m", "2", 1.5) in millicores, or "" when none is given. */}}
{{- define "origin502.milliCPU" -}}
{{- $q := toString . -}}
{{- if not $q -}}
{{- else if hasSuffix "m" $q -}}
{{- int (trimSuffix "m" $q) -}}
{{- else -}}
{{- int (mulf (float64 $q) 1000) -}}
{{- end -}}
{{- end }}

{{/* bot.processes as `serve --processes` takes it: "auto" or a whole number. */}}
{{- define "origin502.botProcesses" -}}
{{- if eq (toString .Values.bot.processes) "auto" -}}
auto
{{- else -}}
{{- int .Values.bot.processes -}}
{{- end -}}
{{- end }}

{{/* Non-empty when the bot may run several serving processes: a count above 1, or "auto" unless Socket Mode (one process) or limits.cpu below 2 CPUs (auto then runs one). */}}
{{- define "origin502.botForks" -}}
{{- $processes := include "origin502.botProcesses" . -}}
{{- $limit := include "origin502.milliCPU" (dig "limits" "cpu" "" .Values.bot.resources) -}}
{{- if .Values.slack.socketMode -}}
{{- else if ne $processes "auto" -}}
{{- if gt (int $processes) 1 }}yes{{ end -}}
{{- else if or (not $limit) (ge (int $limit) 2000) -}}
yes
{{- end -}}
{{- end }}
