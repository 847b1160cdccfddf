{{/* Pieces of the NetworkPolicies in networkpolicy.yaml. */}}
{{/* Egress every role needs: cluster DNS and Redis (which usually sits in a private range). */}}
{{- define "origin502.netpol.baseEgress" -}}
- to:
    {{- toYaml .Values.networkPolicy.dns | nindent 4 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
- to:
    {{- toYaml .Values.redis.networkPolicyPeers | nindent 4 }}
  ports:
    - protocol: TCP
      port: {{ .Values.redis.port }}
{{- end }}
{{/* The public internet: everything except private, cluster, link-local and reserved ranges. */}}
{{- define "origin502.netpol.publicInternet" -}}
- ipBlock:
    cidr: 0.0.0.0/0
    except:
      {{- toYaml .Values.networkPolicy.blockedCIDRs | nindent 6 }}
- ipBlock:
    cidr: ::/0
    except:
      {{- toYaml .Values.networkPolicy.blockedCIDRsIPv6 | nindent 6 }}
{{- end }}
{{- define "origin502.netpol.metricsIngress" -}}
- ports:
    - protocol: TCP
      port: {{ .port }}
  {{- with .root.Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
