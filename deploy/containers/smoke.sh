#!/usr/bin/env bash
# Runs the images deploy/containers/build-images.sh made, with podman, and proves they work:
#
#   1. makes a CA, the collector's server certificate and one truck's certificate with the
#      collector image's own `pki` commands, and a token issuer's key and one token with openssl;
#   2. starts the collector, the alert engine, the read side and the tenant console in one pod
#      (one network namespace, as in a Kubernetes pod), each as user 10001 on a read-only root file
#      system with a private /tmp, with no capabilities; the pod publishes their ports on 127.0.0.1
#      only, at the container port + CONVOY_SMOKE_PORT_OFFSET (20000: 25443, 29464, 29465, 25091,
#      25080), so a demo or a test on this machine keeps its own ports;
#   3. waits for every /healthz and /readyz to answer 200, and scrapes every /metrics once;
#   4. runs one simulated truck (the edge agent from this repository, on the host) against the
#      collector until one batch is acknowledged, and follows it: the collector's
#      convoy_collector_batches_acknowledged_total, the alert engine's
#      convoy_alertengine_batches_evaluated_total, then the truck in the read side's fleet state.
#
# Kafka: the collector runs the embedded in-memory cluster knowingly (Kafka:Embedded=true), and the
# alert engine and the read side, in the same pod, are pointed at its address on 127.0.0.1. There is
# no Apache Kafka here; against a real cluster every container gets Kafka__BootstrapServers instead.
#
# Leaves nothing running: the pod, its containers and the agent are removed on exit, whatever
# happens. Scratch in CONVOY_IMAGES_WORK (/tmp/convoy-images)/smoke. Exit 0 when every check passed.
set -euo pipefail
cd "$(dirname "$0")/../.."

work=${CONVOY_IMAGES_WORK:-/tmp/convoy-images}
offset=${CONVOY_SMOKE_PORT_OFFSET:-20000}
pod=convoy-smoke
smoke="$work/smoke"
started=$SECONDS
step() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  echo "smoke: FAILED: $*" >&2
  for c in collector alert-engine fleet-history tenant-console; do
    if podman container exists "$pod-$c" 2>/dev/null; then
      echo "--- last log lines of $c:" >&2
      podman logs --tail 15 "$pod-$c" >&2 2>&1 || true
    fi
  done
  exit 1
}

for image in collector alert-engine fleet-history tenant-console; do
  podman image exists "localhost/convoy-$image:latest" || fail "no image localhost/convoy-$image:latest: run deploy/containers/build-images.sh first"
done
for tool in curl openssl dotnet kcat nsenter; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' is missing"
done

# Two limits of some hosts, this build machine among them, that podman's defaults trip over: crun
# refuses a host that mounts cgroup v1 and v2 side by side ("cgroups in hybrid mode not supported"),
# where runc works; and podman asks for an open-files limit of 1048576, above what a process without
# CAP_SYS_RESOURCE may set. There, a containers.conf of the smoke's own says runc and limits the host
# allows (CONTAINERS_CONF: podman then reads it instead of /etc/containers/containers.conf).
if [ -z "${CONTAINERS_CONF:-}" ]; then
  runtime=
  if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts && command -v runc >/dev/null 2>&1; then
    runtime=runc
  fi
  nofile=$(ulimit -Hn)
  if [ -n "$runtime" ] || { [ "$nofile" != unlimited ] && [ "$nofile" -lt 1048576 ]; }; then
    [ "$nofile" = unlimited ] && nofile=1048576
    mkdir -p "$work"
    {
      echo '[containers]'
      echo "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=16384:16384\"]"
      if [ -n "$runtime" ]; then echo '[engine]'; echo "runtime = \"$runtime\""; fi
    } > "$work/containers.conf"
    export CONTAINERS_CONF="$work/containers.conf"
    echo "smoke: podman settings for this host in $CONTAINERS_CONF (runtime ${runtime:-default}, open files $nofile)"
  fi
fi

agent_pid=
cleanup() {
  if [ -n "$agent_pid" ]; then kill "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; fi
  podman pod rm --force --time 10 "$pod" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

rm -rf "$smoke"
mkdir -p "$smoke/pki" "$smoke/tokens" "$smoke/fleet-history"
chown 10001:10001 "$smoke/pki" "$smoke/fleet-history"

# The containers run as 10001 with no capabilities and a read-only root, as deploy/kubernetes does.
hardening=(--user 10001:10001 --read-only --tmpfs /tmp:rw,mode=1777 --cap-drop all --security-opt no-new-privileges)

step "certificates with the collector image's pki commands"
pki() { podman run --rm "${hardening[@]}" -v "$smoke/pki:/pki" localhost/convoy-collector:latest pki "$@" >/dev/null; }
pki create-ca --out /pki/ca --name "Convoy smoke CA" || fail "pki create-ca"
pki issue-server --ca /pki/ca --out /pki/server --dns localhost --ip 127.0.0.1 || fail "pki issue-server"
pki issue-device --ca /pki/ca --out /pki --tenant acme --device truck-001 || fail "pki issue-device"

step "a token issuer's key and a token of acme (RS256, openssl)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$smoke/tokens/issuer.key" 2>/dev/null
openssl pkey -in "$smoke/tokens/issuer.key" -pubout -out "$smoke/tokens/smoke.pem"
chmod 644 "$smoke/tokens/smoke.pem"
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","kid":"smoke"}' | b64url)
payload=$(printf '{"iss":"convoy-smoke","aud":"convoy-fleet-history","sub":"smoke","tid":"acme","roles":["viewer"],"nbf":%d,"exp":%d}' "$now" "$((now + 3600))" | b64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$smoke/tokens/issuer.key" -binary | b64url)
token="$header.$payload.$signature"

step "pod $pod: ports on 127.0.0.1, container port + $offset"
podman pod create --name "$pod" \
  -p "127.0.0.1:$((5443 + offset)):5443" -p "127.0.0.1:$((9464 + offset)):9464" -p "127.0.0.1:$((9465 + offset)):9465" \
  -p "127.0.0.1:$((5091 + offset)):5091" -p "127.0.0.1:$((5080 + offset)):5080" >/dev/null || fail "podman pod create"

step "collector (embedded Kafka, knowingly)"
podman run -d --pod "$pod" --name "$pod-collector" "${hardening[@]}" \
  -v "$smoke/pki:/etc/convoy/collector:ro" \
  -e Collector__ServerCertificate=/etc/convoy/collector/server/server.crt \
  -e Collector__ServerKey=/etc/convoy/collector/server/server.key \
  -e Collector__DeviceTrustRoots=/etc/convoy/collector/ca/ca.crt \
  -e Kafka__Embedded=true \
  localhost/convoy-collector:latest >/dev/null || fail "podman run collector"

bootstrap=
for _ in $(seq 1 60); do
  bootstrap=$(podman logs "$pod-collector" 2>&1 | sed -n 's/.*Embedded Kafka started at \([0-9.:,]*\) with.*/\1/p' | head -n 1)
  [ -n "$bootstrap" ] && break
  podman container inspect -f '{{.State.Running}}' "$pod-collector" 2>/dev/null | grep -q true || fail "the collector stopped"
  sleep 1
done
[ -n "$bootstrap" ] || fail "the collector logged no EmbeddedKafkaStarted within 60 s"
step "collector's embedded Kafka at $bootstrap (inside the pod)"

# The embedded cluster (librdkafka's mock) does not implement CreateTopics, which the alert engine
# asks for its state topic (and a tenant's alerts topic) when it talks to a cluster it does not own.
# A producer's metadata request for a topic makes the mock create it: kcat asks, from inside the
# pod's network namespace, where the broker listens.
collector_pid=$(podman container inspect -f '{{.State.Pid}}' "$pod-collector")
for topic in convoy.alert-state alerts.acme; do
  nsenter -t "$collector_pid" -n kcat -b "$bootstrap" -L -t "$topic" -m 10 > "$smoke/kcat.log" 2>&1 ||
    { cat "$smoke/kcat.log"; fail "kcat could not have $topic created on the embedded cluster"; }
done

step "alert engine, read side, tenant console"
podman run -d --pod "$pod" --name "$pod-alert-engine" "${hardening[@]}" \
  -v "$PWD/rules:/etc/convoy/rules:ro" \
  -e AlertEngine__RulesFolder=/etc/convoy/rules \
  -e Kafka__BootstrapServers="$bootstrap" \
  localhost/convoy-alert-engine:latest >/dev/null || fail "podman run alert-engine"
# The read side reads the engine's settings for its rules, and with them checks that the engine's
# metrics port is free, which in one pod it is not: AlertEngine:MetricsPort=-1 tells it the engine
# listens elsewhere (the read side never listens there).
podman run -d --pod "$pod" --name "$pod-fleet-history" "${hardening[@]}" \
  -v "$smoke/fleet-history:/var/lib/convoy/fleet-history" \
  -v "$smoke/tokens/smoke.pem:/etc/convoy/tokens/smoke.pem:ro" \
  -v "$PWD/rules:/etc/convoy/rules:ro" \
  -e FleetHistory__RulesFolder=/etc/convoy/rules \
  -e AlertEngine__MetricsPort=-1 \
  -e FleetHistory__Tokens__Issuer=convoy-smoke \
  -e FleetHistory__Tokens__KeyFiles__0=/etc/convoy/tokens/smoke.pem \
  -e Kafka__BootstrapServers="$bootstrap" \
  localhost/convoy-fleet-history:latest >/dev/null || fail "podman run fleet-history"
# The console signs people in at an OpenID Connect provider; none answers here, so the smoke checks
# its probes only (its readiness asks the read side, which is in the same pod).
podman run -d --pod "$pod" --name "$pod-tenant-console" "${hardening[@]}" \
  -e TenantConsole__FleetHistoryUrl=http://127.0.0.1:5090 \
  -e TenantConsole__Oidc__Authority=https://login.example.com/ \
  -e TenantConsole__Oidc__ClientId=convoy-tenant-console \
  localhost/convoy-tenant-console:latest >/dev/null || fail "podman run tenant-console"

# Waits until URL answers 200 (up to 90 s), else fails with its last answer.
wait_ok() {
  local name=$1 url=$2 code=000
  for _ in $(seq 1 90); do
    code=$(curl -s -o "$smoke/answer" -w '%{http_code}' --max-time 5 "$url" || true)
    [ "$code" = 200 ] && { printf '  %-16s %-36s 200 %s\n' "$name" "${url#http://127.0.0.1}" "$(head -c 60 "$smoke/answer" | tr '\n' ' ')"; return 0; }
    sleep 1
  done
  fail "$name: $url answered $code: $(head -c 400 "$smoke/answer" 2>/dev/null)"
}

step "health"
for probe in healthz readyz; do
  wait_ok collector "http://127.0.0.1:$((9464 + offset))/$probe"
  wait_ok alert-engine "http://127.0.0.1:$((9465 + offset))/$probe"
  wait_ok fleet-history "http://127.0.0.1:$((5091 + offset))/$probe"
  wait_ok tenant-console "http://127.0.0.1:$((5080 + offset))/$probe"
done

step "metrics (one scrape each)"
scrape() {
  local name=$1 port=$2 service=$3
  curl -sf --max-time 10 "http://127.0.0.1:$port/metrics" > "$smoke/metrics-$name.txt" || fail "$name: /metrics did not answer"
  grep -q "^target_info{.*service_name=\"$service\"" "$smoke/metrics-$name.txt" || fail "$name: /metrics has no target_info naming $service"
  printf '  %-16s %6d lines\n' "$name" "$(wc -l < "$smoke/metrics-$name.txt")"
}
scrape collector $((9464 + offset)) convoy-collector
scrape alert-engine $((9465 + offset)) convoy-alert-engine
scrape fleet-history $((5091 + offset)) convoy-fleet-history

# The value of a counter (summed over its series) in a program's /metrics.
counter() {
  curl -s --max-time 10 "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1 ~ "^"name"({|$)" { s += $NF } END { print s + 0 }'
}

step "one truck of acme: the edge agent from this repository, on the host"
dotnet build src/EdgeAgent -v q -nologo > "$smoke/agent-build.log" 2>&1 || { tail -n 20 "$smoke/agent-build.log"; fail "dotnet build src/EdgeAgent"; }
agent_dll=$(ls -t src/EdgeAgent/bin/Debug/net10.0/Convoy.EdgeAgent.dll 2>/dev/null | head -n 1)
[ -n "$agent_dll" ] || fail "no Convoy.EdgeAgent.dll in src/EdgeAgent/bin/Debug/net10.0"
DOTNET_ENVIRONMENT=Production dotnet "$agent_dll" \
  --EdgeAgent:Collectors:0="https://127.0.0.1:$((5443 + offset))" \
  --EdgeAgent:TrustRoots="$smoke/pki/ca/ca.crt" \
  --EdgeAgent:CertificatesFolder="$smoke/pki" \
  --EdgeAgent:Simulator:Tenant=acme --EdgeAgent:Simulator:Trucks=1 \
  --EdgeAgent:Simulator:StartInPast=00:05:00 --EdgeAgent:Simulator:TimeScale=60 \
  > "$smoke/agent.log" 2>&1 &
agent_pid=$!

acked=0 evaluated=0
for _ in $(seq 1 90); do
  acked=$(counter $((9464 + offset)) convoy_collector_batches_acknowledged_total)
  [ "$acked" -gt 0 ] && break
  kill -0 "$agent_pid" 2>/dev/null || { tail -n 20 "$smoke/agent.log"; fail "the edge agent stopped"; }
  sleep 1
done
[ "$acked" -gt 0 ] || { tail -n 20 "$smoke/agent.log"; fail "the collector acknowledged no batch within 90 s"; }
kill "$agent_pid" 2>/dev/null || true
wait "$agent_pid" 2>/dev/null || true
agent_pid=
echo "  collector        batches acknowledged: $acked"

for _ in $(seq 1 60); do
  evaluated=$(counter $((9465 + offset)) convoy_alertengine_batches_evaluated_total)
  [ "$evaluated" -gt 0 ] && break
  sleep 1
done
[ "$evaluated" -gt 0 ] || fail "the alert engine evaluated no batch within 60 s"
if podman logs "$pod-alert-engine" 2>&1 | grep -q 'TopicMissing\|does not exist at'; then
  fail "the alert engine found a topic missing"
fi
echo "  alert engine     batches evaluated: $evaluated"

state=
for _ in $(seq 1 60); do
  state=$(curl -s --max-time 5 -H "Authorization: Bearer $token" "http://127.0.0.1:$((5091 + offset))/v1/fleet/state" || true)
  case "$state" in *'"truck-001"'*) break ;; esac
  sleep 1
done
case "$state" in
  *'"truck-001"'*) echo "  fleet history    /v1/fleet/state of acme: $(printf '%s' "$state" | head -c 120)..." ;;
  *) fail "the read side's fleet state of acme has no truck-001 within 60 s: $(printf '%s' "$state" | head -c 400)" ;;
esac

step "every check passed in $((SECONDS - started)) s; removing the pod"
