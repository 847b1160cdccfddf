{{/*
One Deployment for a role. Call with a dict:
  root       the top-level context ($)
  component  "bot" | "worker" | "scheduler"
  values     that role's values (.Values.bot ...)
  args       the container's arguments after the `origin502` entrypoint
  portName   the container port's name; port its number (it serves /healthz and /metrics)
  slackEnv   the Slack environment block to add (may be empty)
  extraEnv   more environment (may be empty)
  replicas   false when an autoscaler owns the replica count
*/}}
{{- define "origin502.deployment" -}}
{{- $root := .root }}
{{- $v := .values }}
{{- $ctx := dict "root" $root "component" .component }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "origin502.fullname" $root }}-{{ .component }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "origin502.labels" $ctx | nindent 4 }}
spec:
  {{- if .replicas }}
  replicas: {{ $v.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "origin502.selectorLabels" $ctx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "origin502.labels" $ctx | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "origin502.podAnnotations" (dict "root" $root "port" .port "extra" $v.podAnnotations) | nindent 8 }}
    spec:
      serviceAccountName: {{ include "origin502.serviceAccountName" $root }}
      # origin502 never talks to the Kubernetes API.
      automountServiceAccountToken: false
      enableServiceLinks: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ include "origin502.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          args:
            {{- toYaml .args | nindent 12 }}
          ports:
            - name: {{ .portName }}
              containerPort: {{ .port }}
              protocol: TCP
          env:
            {{- include "origin502.env.common" $root | nindent 12 }}
            {{- with .slackEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with .extraEnv }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "origin502.probes" (dict "probes" $v "port" .portName) | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "origin502.volumeMounts" $root | nindent 12 }}
      volumes:
        {{- include "origin502.volumes" $root | nindent 8 }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end }}
