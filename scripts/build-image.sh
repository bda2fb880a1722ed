#!/usr/bin/env bash
# Builds the Pilotfish JVM image with podman, from nothing but the registries our machines reach.
#
#   scripts/build-image.sh [--base IMAGE] [--tag TAG]
#     --base IMAGE  the base image; without it a minimal Debian 12 root file system (libc, tzdata, netbase, dash) is
#                   made with mmdebstrap from Debian's archive and imported as localhost/pilotfish-base:bookworm
#     --tag TAG     default localhost/pilotfish:0.1.0
#
# Steps: package the agent (unless it is built), jlink a Java runtime with the agent's modules from the JDK that
# scripts/find-java.sh selects, lay out the build context (deploy/image/ + jre/ + app/ + health-probe.jar) in
# target/image-context, and `podman build` deploy/image/Containerfile. podman runs with deploy/image/containers.conf.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base=""
tag="localhost/pilotfish:0.1.0"
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    *) echo "build-image: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is required (apt-get install podman buildah runc mmdebstrap)" >&2; exit 1; }
done
export CONTAINERS_CONF="$root/deploy/image/containers.conf"
JAVA_HOME="$("$root/scripts/find-java.sh")"
export JAVA_HOME
app="$root/runtime/agent/target/quarkus-app"
if [ ! -f "$app/quarkus-run.jar" ]; then
  (cd "$root" && ./mvnw -B -ntp -q -DskipTests -pl runtime/agent -am install)
fi
context="$root/target/image-context"
rm -rf "$context"
mkdir -p "$context"
# The modules the agent loads (found by running it: Quarkus reads its jars through jdk.zipfs, Netty uses
# jdk.unsupported, the AWS SDK java.naming and java.xml); everything else of the JDK stays out.
"$JAVA_HOME/bin/jlink" \
  --add-modules java.base,java.logging,java.management,jdk.management,java.naming,java.net.http,java.sql,java.xml,jdk.unsupported,jdk.naming.dns,jdk.crypto.ec,jdk.zipfs \
  --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$context/jre"
cp -r "$app" "$context/app"
probe=("$app"/lib/main/io.pilotfish.pilotfish-health-probe-*.jar)
[ -f "${probe[0]}" ] || { echo "build-image: the health probe is missing from $app/lib/main" >&2; exit 1; }
cp "${probe[0]}" "$context/health-probe.jar"
cp "$root/deploy/image/Containerfile" "$root/deploy/image/pilotfish" "$context/"
mkdir -p "$context/run-datadog"
if [ -z "$base" ]; then
  base="localhost/pilotfish-base:bookworm"
  if ! podman image exists "$base"; then
    rootfs="$root/target/pilotfish-base-rootfs.tar"
    # extract unpacks the packages without running their scripts. Java brings its own time-zone data (the agent
    # logs in UTC) and character sets, so tzdata, glibc's gconv modules and the documentation are left out: 9 MB.
    mmdebstrap --quiet --variant=extract --include=libc6,libgcc-s1,zlib1g,base-files,netbase,dash bookworm \
      "$rootfs"
    for unneeded in './usr/share/doc/*' './usr/share/man/*' './usr/share/info/*' './usr/share/locale/*' \
        './usr/share/lintian/*' './usr/share/perl5/*' './usr/lib/*-linux-gnu/gconv/*'; do
      tar --delete --wildcards -f "$rootfs" "$unneeded" 2>/dev/null || true # absent on some architectures
    done
    podman import --change 'CMD ["/bin/sh"]' "$rootfs" "$base" >/dev/null
    rm -f "$rootfs"
  fi
fi
podman build --format docker --pull=never --build-arg "BASE=$base" -t "$tag" -f "$context/Containerfile" "$context"
echo "build-image: $tag ($(podman image inspect --format '{{.Size}}' "$tag") bytes)"
