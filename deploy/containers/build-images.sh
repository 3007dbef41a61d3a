#!/usr/bin/env bash
# Builds the cloud programs' container images on this machine without pulling any base image:
#
#   localhost/convoy-base:latest            Debian bookworm made by mmdebstrap from Debian's packages,
#                                           plus the .NET runtime of the SDK that builds the programs
#   localhost/convoy-<program>:latest       the base plus one program, published framework-dependent
#
# for <program> in collector, alert-engine, fleet-history and tenant-console (or those named as
# arguments). The images land in the local container storage that podman reads
# (/var/lib/containers/storage for root), under the names deploy/kubernetes/ expects.
# deploy/containers/Dockerfile gives the same layout to anyone who can pull from a registry.
#
# Needs (Debian packages): mmdebstrap, buildah, podman; and the .NET SDK of global.json. Run as root
# (mmdebstrap's root mode; buildah writes root's storage). Scratch goes to CONVOY_IMAGES_WORK
# (/tmp/convoy-images), never into the repository; the root file system tarball is kept there and
# reused until it is a week old or --fresh-rootfs is given. --archive also writes each image as an
# OCI archive (podman load -i, skopeo copy) into $CONVOY_IMAGES_WORK/archives.
#
# See docs/operations.md, "In containers".
set -euo pipefail
cd "$(dirname "$0")/../.."

work=${CONVOY_IMAGES_WORK:-/tmp/convoy-images}
suite=bookworm
mirror=${CONVOY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CONVOY_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
all_programs=(collector alert-engine fleet-history tenant-console)
fresh_rootfs=false
archive=false
programs=()
for arg in "$@"; do
  case "$arg" in
    --fresh-rootfs) fresh_rootfs=true ;;
    --archive) archive=true ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    collector|alert-engine|fleet-history|tenant-console) programs+=("$arg") ;;
    *) echo "build-images.sh: unknown argument '$arg' (programs: ${all_programs[*]}; --fresh-rootfs, --archive)" >&2; exit 2 ;;
  esac
done
[ "${#programs[@]}" -gt 0 ] || programs=("${all_programs[@]}")

for tool in mmdebstrap buildah dotnet; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-images.sh: '$tool' is missing (apt-get install mmdebstrap buildah podman; the .NET SDK of global.json)" >&2
    exit 1
  fi
done

step() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
started=$SECONDS
mkdir -p "$work"

# The program's project, entry assembly, ports and listen-address key. The ports and the user are
# the ones deploy/kubernetes/ gives (tests/EndToEnd.Tests/ContainerImagesTests.cs keeps them in step).
project_of() {
  case "$1" in
    collector) echo "src/Collector Convoy.Collector.dll Collector__Address 5443 9464" ;;
    alert-engine) echo "src/AlertEngine Convoy.AlertEngine.dll AlertEngine__Address 9465" ;;
    fleet-history) echo "src/FleetHistory Convoy.FleetHistory.dll FleetHistory__Address 5090 5091" ;;
    tenant-console) echo "src/TenantConsole Convoy.TenantConsole.dll TenantConsole__Address 5080" ;;
  esac
}

# 1. The root file system: Debian's Essential packages and what .NET needs at run time, nothing
#    else (no apt, no shell tools beyond Essential's). No libicu: every program builds with
#    InvariantGlobalization (Directory.Build.props). librdkafka and DuckDB come inside the NuGet
#    packages; they need only glibc, libstdc++ and libssl. The user convoy (10001) owns nothing but
#    the read side's data folder; manuals, translations and documents other than licences are left out.
rootfs="$work/rootfs-$suite.tar"
if $fresh_rootfs || [ ! -f "$rootfs" ] || [ -n "$(find "$rootfs" -mtime +7 2>/dev/null)" ]; then
  step "mmdebstrap: Debian $suite root file system"
  rm -rf "$rootfs" "$work/rootfs-$suite.partial.tar"
  mmdebstrap --variant=essential --mode=root --format=tar \
    --include=ca-certificates,libssl3,libstdc++6,zlib1g,tzdata \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --customize-hook='echo "convoy:x:10001:10001:Convoy:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"' \
    --customize-hook='echo "convoy:x:10001:" >> "$1/etc/group"' \
    --customize-hook='mkdir -p "$1/var/lib/convoy/fleet-history" && chown 10001:10001 "$1/var/lib/convoy/fleet-history"' \
    "$suite" "$work/rootfs-$suite.partial.tar" \
    "deb $mirror $suite main" "deb $mirror $suite-updates main" "deb $security_mirror $suite-security main" \
    > "$work/mmdebstrap.log" 2>&1 || { tail -n 30 "$work/mmdebstrap.log"; echo "build-images.sh: mmdebstrap failed (log: $work/mmdebstrap.log)" >&2; exit 1; }
  mv "$work/rootfs-$suite.partial.tar" "$rootfs"
else
  step "reusing $rootfs (--fresh-rootfs to make it again)"
fi

# 2. The .NET runtime: the shared frameworks of the SDK that builds the programs (the same files
#    Microsoft's runtime images carry at /usr/share/dotnet), so nothing is downloaded for it.
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
netcore=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" && $2 ~ /^10\./ { v = $2 } END { print v }')
aspnetcore=$(dotnet --list-runtimes | awk '$1 == "Microsoft.AspNetCore.App" && $2 ~ /^10\./ { v = $2 } END { print v }')
if [ -z "$netcore" ] || [ -z "$aspnetcore" ]; then
  echo "build-images.sh: no .NET 10 runtime beside the SDK at $dotnet_root (dotnet --list-runtimes)" >&2
  exit 1
fi
runtime_layer="$work/runtime"
rm -rf "$runtime_layer"
mkdir -p "$runtime_layer/usr/share/dotnet/shared" "$runtime_layer/usr/share/dotnet/host" "$runtime_layer/usr/bin"
cp -a "$dotnet_root/dotnet" "$dotnet_root/LICENSE.txt" "$dotnet_root/ThirdPartyNotices.txt" "$runtime_layer/usr/share/dotnet/" 2>/dev/null ||
  cp -a "$dotnet_root/dotnet" "$runtime_layer/usr/share/dotnet/"
cp -a "$dotnet_root/host/fxr" "$runtime_layer/usr/share/dotnet/host/"
mkdir -p "$runtime_layer/usr/share/dotnet/shared/Microsoft.NETCore.App" "$runtime_layer/usr/share/dotnet/shared/Microsoft.AspNetCore.App"
cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$netcore" "$runtime_layer/usr/share/dotnet/shared/Microsoft.NETCore.App/"
cp -a "$dotnet_root/shared/Microsoft.AspNetCore.App/$aspnetcore" "$runtime_layer/usr/share/dotnet/shared/Microsoft.AspNetCore.App/"
ln -s ../share/dotnet/dotnet "$runtime_layer/usr/bin/dotnet"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)

step "buildah: localhost/convoy-base:latest (.NET $netcore, ASP.NET Core $aspnetcore)"
ctr=$(buildah from --quiet scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah add --quiet "$ctr" "$rootfs" / >/dev/null
buildah copy --quiet "$ctr" "$runtime_layer" / >/dev/null
buildah config \
  --os linux --arch amd64 \
  --user 10001:10001 \
  --workingdir /tmp \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env DOTNET_ENVIRONMENT=Production \
  --env DOTNET_ROOT=/usr/share/dotnet \
  --env TMPDIR=/tmp \
  --label org.opencontainers.image.title=convoy-base \
  --label convoy.image=base \
  --label org.opencontainers.image.description="Debian $suite (mmdebstrap) with the .NET $netcore and ASP.NET Core $aspnetcore runtimes" \
  --label org.opencontainers.image.revision="$revision" \
  "$ctr"
buildah commit --quiet --rm "$ctr" localhost/convoy-base:latest >/dev/null
trap - EXIT

# 3. Each program: published framework-dependent for linux-x64 (only its own native libraries),
#    the same build as the systemd units run, laid at /opt/convoy/<program>, owned by root so the
#    program cannot change itself.
for program in "${programs[@]}"; do
  read -r project dll address_key ports <<<"$(project_of "$program")"
  out="$work/publish/$program"
  step "dotnet publish $project"
  rm -rf "$out"
  dotnet publish "$project" -c Release -r linux-x64 --self-contained false -p:UseAppHost=false \
    -o "$out" -nologo -v q > "$work/publish-$program.log" 2>&1 ||
    { tail -n 30 "$work/publish-$program.log"; echo "build-images.sh: dotnet publish $project failed" >&2; exit 1; }
  # Debug symbols stay on the build machine (stack traces keep their method names without them).
  find "$out" -name '*.pdb' -delete

  step "buildah: localhost/convoy-$program:latest"
  ctr=$(buildah from --quiet --pull-never localhost/convoy-base:latest)
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  buildah copy --quiet --chown 0:0 "$ctr" "$out" "/opt/convoy/$program" >/dev/null
  port_flags=()
  for port in $ports; do port_flags+=(--port "$port"); done
  volume_flags=()
  env_flags=(--env "$address_key=0.0.0.0")
  if [ "$program" = fleet-history ]; then
    # The embedded DuckDB store's folder: a volume, since the root file system is read-only.
    env_flags+=(--env FleetHistory__DataFolder=/var/lib/convoy/fleet-history)
    volume_flags+=(--volume /var/lib/convoy/fleet-history)
  fi
  buildah config \
    --workingdir "/opt/convoy/$program" \
    --entrypoint "[\"/usr/bin/dotnet\", \"/opt/convoy/$program/$dll\"]" \
    --cmd '[]' \
    "${port_flags[@]}" "${volume_flags[@]}" "${env_flags[@]}" \
    --stop-signal SIGTERM \
    --label org.opencontainers.image.title="convoy-$program" \
    --label convoy.image="$program" \
    --label org.opencontainers.image.revision="$revision" \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "localhost/convoy-$program:latest" >/dev/null
  trap - EXIT
  if $archive; then
    mkdir -p "$work/archives"
    rm -f "$work/archives/convoy-$program.tar"
    podman save --format oci-archive -o "$work/archives/convoy-$program.tar" "localhost/convoy-$program:latest" >/dev/null
  fi
done

# The previous build's images, now without a name, would pile up run after run (CI builds on the
# same machine): remove those of this script only (its label).
podman image prune --force --filter label=convoy.image >/dev/null 2>&1 || true

step "done in $((SECONDS - started)) s"
podman images --filter reference='localhost/convoy-*' --format '{{.Repository}}:{{.Tag}}  {{.Size}}'
