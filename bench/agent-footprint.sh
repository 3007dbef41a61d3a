#!/usr/bin/env bash
# The edge agent's footprint, measured natively on linux-x64 with /usr/bin/time -v: the NativeAOT
# agent streams over mutual TLS (a device certificate from `pki issue-device`, the production
# path) to a collector on 127.0.0.1 with the embedded Kafka, and we read its peak RSS, its CPU time
# (user + sys, start-up included) and the readings the collector acknowledged for its tenant.
#
#   simulator  1 simulated truck (GPS, two reefer zones, fuel) sampled every 0.4 s: 10 readings/s,
#              the rate of 10 sensors at 1 Hz; batches kept in memory
#   truck      a real-truck agent: GPS at 1 Hz replayed from an NMEA capture in real time, every
#              batch through the durable buffer on disk
#   backlog    the same truck agent started over a 72-hour backlog (259,200 fixes, ~26,000 batches)
#              left in its durable buffer while offline: it drains it while taking live fixes.
#              Its peak RSS against `truck` shows whether memory grows with the backlog.
#
# The agent runs with the DOTNET_GC* environment of deploy/convoy-edge-agent.service.
# Usage: bench/agent-footprint.sh [seconds per run, default 60]   (~4-5 minutes; needs python3,
#        clang and zlib1g-dev for the publish, and GNU time: apt-get install time)
# Memory under qemu means nothing, so this measures x64 only; the arm64 build is proved by .ci/arm64-smoke.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
seconds=${1:-60}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
work=$(mktemp -d)
collector_pid=""
cleanup() {
  if [ -n "$collector_pid" ] && kill -0 "$collector_pid" 2>/dev/null; then
    kill -TERM "$collector_pid"
    wait "$collector_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "publishing the agent (NativeAOT, linux-x64)..." >&2
dotnet publish src/EdgeAgent -c Release -r linux-x64 -o "$work/agent" --nologo -v quiet > "$work/publish.log" 2>&1 || { cat "$work/publish.log"; exit 1; }
agent="$work/agent/Convoy.EdgeAgent"
dotnet build src/Collector -c Release --nologo -v quiet > "$work/collector-build.log" 2>&1 || { cat "$work/collector-build.log"; exit 1; }
collector_dll="$repo/src/Collector/bin/Release/net10.0/Convoy.Collector.dll"

certs="$work/certs"
dotnet "$collector_dll" --Collector:Port=0 --Collector:MetricsPort=0 --Kafka:Embedded=true --Collector:DevCertificates=true \
  --Collector:DevCertificatesFolder="$certs" > "$work/collector.log" 2>&1 &
collector_pid=$!
for _ in $(seq 1 120); do grep -q 'Collector listening on' "$work/collector.log" && break; sleep 0.5; done
listening=$(grep -m1 'Collector listening on' "$work/collector.log") || { cat "$work/collector.log"; exit 1; }
port=$(grep -Eo 'https://127\.0\.0\.1:[0-9]+' <<< "$listening" | head -n1 | cut -d: -f3)
metrics_port=$(grep -Eo 'http://127\.0\.0\.1:[0-9]+' <<< "$listening" | head -n1 | cut -d: -f3)

acked() { # tenant, kind (batches|readings)
  curl -fsS "http://127.0.0.1:$metrics_port/metrics" \
    | awk -v t="tenant=\"$1\"" -v m="convoy_collector_$2_acknowledged_total{" 'index($0, m) == 1 && index($0, t) { s += $NF } END { print s + 0 }'
}
issue() { # tenant device
  dotnet "$collector_dll" pki issue-device --ca "$certs" --out "$work/devices" --tenant "$1" --device "$2" > /dev/null
}
# The runtime environment the gateway's systemd unit gives the agent (its heap budget), so these
# are the gateway's figures.
unit_env=()
while IFS= read -r line; do unit_env+=("${line#Environment=}"); done < <(grep -E '^Environment=DOTNET_GC' deploy/convoy-edge-agent.service)
common=(--EdgeAgent:Collectors:0="https://127.0.0.1:$port" --EdgeAgent:TrustRoots="$certs/ca.crt" --EdgeAgent:CertificatesFolder="$work/devices")

# NMEA 0183 (RMC + GGA per 1 Hz epoch), checksummed, on a small loop around a depot.
nmea() { # file, first epoch (unix s), epochs
  python3 - "$@" <<'EOF'
import sys, time, math
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def line(body):
    c = 0
    for ch in body.encode():
        c ^= ch
    return f"${body}*{c:02X}\r\n"
with open(path, "w", newline="") as f:
    for i in range(count):
        t = time.gmtime(start + i)
        hms, dmy = time.strftime("%H%M%S", t), time.strftime("%d%m%y", t)
        a = (i % 3600) / 3600 * 2 * math.pi
        lat, lon = 52.37 + 0.01 * math.sin(a), 4.90 + 0.015 * math.cos(a)
        la = f"{int(lat):02d}{(lat % 1) * 60:07.4f}"
        lo = f"{int(lon):03d}{(lon % 1) * 60:07.4f}"
        f.write(line(f"GPRMC,{hms}.00,A,{la},N,{lo},E,27.0,{(math.degrees(a) + 90) % 360:05.1f},{dmy},,,A"))
        f.write(line(f"GPGGA,{hms}.00,{la},N,{lo},E,1,09,0.9,4.0,M,46.0,M,,"))
EOF
}

# run NAME TENANT AGENT-ARGS...: the agent for $seconds under /usr/bin/time, then SIGTERM (as systemd stops it).
run() {
  local name=$1 tenant=$2
  shift 2
  local before_r before_b
  before_r=$(acked "$tenant" readings)
  before_b=$(acked "$tenant" batches)
  env "${unit_env[@]}" /usr/bin/time -v -o "$work/$name.time" "$agent" "${common[@]}" "$@" > "$work/$name.log" 2>&1 &
  local time_pid=$!
  sleep "$seconds"
  local agent_pid
  agent_pid=$(pgrep -P "$time_pid")
  kill -TERM "$agent_pid"
  wait "$time_pid" || { echo "$name: the agent did not exit cleanly" >&2; tail -n 20 "$work/$name.log" >&2; exit 1; }
  local rss_kb user sys readings batches
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  user=$(awk -F': ' '/User time/ {print $2}' "$work/$name.time")
  sys=$(awk -F': ' '/System time/ {print $2}' "$work/$name.time")
  readings=$(( $(acked "$tenant" readings) - before_r ))
  batches=$(( $(acked "$tenant" batches) - before_b ))
  awk -v n="$name" -v r="$rss_kb" -v u="$user" -v s="$sys" -v rd="$readings" -v b="$batches" -v sec="$seconds" 'BEGIN {
    printf "| %-9s | %6.1f MB | %5.2f s + %5.2f s | %8d | %6d | %s |\n", n, r / 1024, u, s, rd, b,
      (rd > 0 ? sprintf("%.1f us", (u + s) / rd * 1e6) : "-") }'
}

echo "| run       | peak RSS  | CPU user + sys    | readings | batches | CPU per reading |"
echo "|---|---|---|---|---|---|"

issue footprint-sim truck-001
run simulator footprint-sim --EdgeAgent:Simulator:Tenant=footprint-sim --EdgeAgent:Simulator:Trucks=1 \
  --EdgeAgent:Simulator:SampleInterval=00:00:00.4

now=$(date -u +%s)
issue footprint-gps gw-001
nmea "$work/live.nmea" "$now" $((seconds + 30))
run truck footprint-gps --EdgeAgent:Device:Tenant=footprint-gps --EdgeAgent:Device:Id=gw-001 \
  --EdgeAgent:Nmea:Source=File --EdgeAgent:Nmea:Path="$work/live.nmea" --EdgeAgent:Buffer:Folder="$work/buffer-truck"

# The backlog: 72 hours of fixes written to the buffer while the collector is unreachable
# (a closed loopback port), then the same agent started against the collector.
issue footprint-backlog gw-002
now=$(date -u +%s)
nmea "$work/backlog.nmea" $((now - 72 * 3600 - 120)) $((72 * 3600))
"$agent" --EdgeAgent:Collectors:0=https://127.0.0.1:9 --EdgeAgent:TrustRoots="$certs/ca.crt" --EdgeAgent:CertificatesFolder="$work/devices" \
  --EdgeAgent:Device:Tenant=footprint-backlog --EdgeAgent:Device:Id=gw-002 --EdgeAgent:Nmea:Source=File \
  --EdgeAgent:Nmea:Path="$work/backlog.nmea" --EdgeAgent:Nmea:Pacing=AsFastAsPossible --EdgeAgent:Buffer:Folder="$work/buffer-backlog" \
  > "$work/fill.log" 2>&1 &
fill_pid=$!
for _ in $(seq 1 600); do grep -q 'backlog.nmea: ' "$work/fill.log" && break; sleep 0.5; done
kill -TERM "$fill_pid"
wait "$fill_pid"
"$agent" check --folder "$work/buffer-backlog" | sed 's/^/  backlog before: /' >&2
nmea "$work/live2.nmea" "$(date -u +%s)" $((seconds + 30))
run backlog footprint-backlog --EdgeAgent:Device:Tenant=footprint-backlog --EdgeAgent:Device:Id=gw-002 \
  --EdgeAgent:Nmea:Source=File --EdgeAgent:Nmea:Path="$work/live2.nmea" --EdgeAgent:Buffer:Folder="$work/buffer-backlog"
"$agent" check --folder "$work/buffer-backlog" | sed 's/^/  backlog after: /' >&2
echo "(${seconds} s per run; ${unit_env[*]} as in deploy/convoy-edge-agent.service; CPU includes start-up; binary $(du -k "$agent" | cut -f1) KB; $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
