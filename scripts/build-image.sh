#!/usr/bin/env bash
# Builds the Pilotfish JVM image with podman, from nothing but the registries our machines reach.
#
#   scripts/build-image.sh [--base IMAGE] [--tag TAG] [--aot-cache]
#     --base IMAGE  the base image; without it a minimal Debian 12 root file system (glibc, netbase, dash) is made
#                   with mmdebstrap from Debian's archive and imported as localhost/pilotfish-base:bookworm-<hash>
#     --tag TAG     default localhost/pilotfish:0.1.0
#     --aot-cache   add the JDK's AOT cache of the agent's classes (the probe's is always made), from a training run
#                   of the image in a container: about 300 ms sooner ready, but 44 MB more image (bench/RESULTS.md)
#
# Steps: package the agent (unless it is built), jlink a Java runtime with the agent's modules from the JDK that
# scripts/find-java.sh selects (native symbol tables stripped), lay out the build context (deploy/image/ + jre/ + app/
# + health-probe.jar + Netty's epoll library) in target/image-context, `podman build` deploy/image/Containerfile,
# then add the JDK's AOT caches made by a training run of that image. podman runs with deploy/image/containers.conf.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base=""
tag="localhost/pilotfish:0.1.0"
aot_cache=""
while [ $# -gt 0 ]; do
  case "$1" in
    --base) base="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --aot-cache) aot_cache=1; shift ;;
    *) echo "build-image: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in podman mmdebstrap strip; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool is required (apt-get install podman buildah runc mmdebstrap binutils)" >&2; exit 1; }
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
# The JDK's libraries carry their symbol tables (5 MB of libjvm.so's 30); a crash report names fewer frames without
# them. The class images stay compressed: uncompressed they are 23 MB more (and 9 MiB more RSS, mapped) for no
# start-up gain we could measure (bench/RESULTS.md).
find "$context/jre" -name '*.so' -exec strip --strip-unneeded {} +
cp -r "$app" "$context/app"
# Netty unpacks its epoll library into /tmp before loading it, unless it is on java.library.path: ECS's read-only
# root has no writable /tmp, and without epoll the DogStatsD Unix socket cannot be served.
case "$(uname -m)" in x86_64) netty_arch=x86_64 ;; aarch64) netty_arch=aarch_64 ;; *) netty_arch="$(uname -m)" ;; esac
epoll=("$app"/lib/main/io.netty.netty-transport-native-epoll-*-linux-"$netty_arch".jar)
[ -f "${epoll[0]}" ] || { echo "build-image: Netty's epoll jar for linux-$netty_arch is missing from $app/lib/main" >&2; exit 1; }
mkdir -p "$context/native"
(cd "$context/native" && "$JAVA_HOME/bin/jar" xf "${epoll[0]}" META-INF/native && mv META-INF/native/*.so . && rm -r META-INF)
ls "$context/native"/libnetty_transport_native_epoll_*.so >/dev/null
probe=("$app"/lib/main/io.pilotfish.pilotfish-health-probe-*.jar)
[ -f "${probe[0]}" ] || { echo "build-image: the health probe is missing from $app/lib/main" >&2; exit 1; }
cp "${probe[0]}" "$context/health-probe.jar"
cp "$root/deploy/image/Containerfile" "$root/deploy/image/pilotfish" "$context/"
mkdir -p "$context/run-datadog" "$context/buffer"
if [ -z "$base" ]; then
  # extract unpacks the packages without running their scripts. Java brings its own time-zone data (the agent logs in
  # UTC), character sets and zlib, and needs nothing of glibc but libc, libm, libdl, libpthread, librt and the loader;
  # dash (for the entrypoint) pulls in dpkg, tar and their libraries, which nothing runs. Left out: 5 MB of 9.
  include=libc6,libgcc-s1,zlib1g,base-files,netbase,dash
  unneeded=('./usr/share/doc/*' './usr/share/man/*' './usr/share/info/*' './usr/share/locale/*'
    './usr/share/lintian/*' './usr/share/perl5/*' './usr/share/dpkg/*' './usr/lib/*-linux-gnu/gconv/*'
    './usr/bin/dpkg*' './usr/bin/mawk' './usr/bin/update-alternatives' './usr/libexec/dpkg/*' './usr/sbin/*'
    './bin/tar' './sbin/start-stop-daemon' './sbin/installkernel' './usr/lib/mime/*' './etc/alternatives/*'
    './lib/*-linux-gnu/libbz2.so*' './lib/*-linux-gnu/liblzma.so*' './lib/*-linux-gnu/libselinux.so*'
    './lib/*-linux-gnu/libmvec.so*' './lib/*-linux-gnu/libmemusage.so' './lib/*-linux-gnu/libpcprofile.so'
    './lib/*-linux-gnu/libc_malloc_debug.so*' './lib/*-linux-gnu/libthread_db.so*' './lib/*-linux-gnu/libBrokenLocale.so*'
    './usr/lib/*-linux-gnu/libacl.so*' './usr/lib/*-linux-gnu/libmd.so*' './usr/lib/*-linux-gnu/libpcre2-8.so*'
    './usr/lib/*-linux-gnu/libzstd.so*')
  # Named after what it is made of, so a change of the list makes a new base instead of reusing the old one.
  base="localhost/pilotfish-base:bookworm-$(printf '%s\n' "$include" "${unneeded[@]}" | sha256sum | cut -c1-12)"
  if ! podman image exists "$base"; then
    rootfs="$root/target/pilotfish-base-rootfs.tar"
    mmdebstrap --quiet --variant=extract --include="$include" bookworm "$rootfs"
    for pattern in "${unneeded[@]}"; do
      tar --delete --wildcards -f "$rootfs" "$pattern" 2>/dev/null || true # absent on some architectures
    done
    podman import --change 'CMD ["/bin/sh"]' "$rootfs" "$base" >/dev/null
    rm -f "$rootfs"
  fi
fi
podman build --format docker --pull=never --build-arg "BASE=$base" -t "$tag" -f "$context/Containerfile" "$context"
# The JDK's AOT caches must match the image's JVM, flags and class path exactly, so the image makes them itself, in a
# training run (the entrypoint's PILOTFISH_AOT_TRAINING): the agent starts as the entrypoint starts it, `pilotfish
# health` runs against it, and each JVM writes its cache as it exits (the agent's on SIGTERM, after idling through a
# flush; a second JVM assembles it, about 30 s). Always the probe's (10 MB: a health check in a tenth of the CPU);
# the agent's (44 MB) with --aot-cache. No network: loopback only, the intake a closed port.
trainer="pilotfish-aot-training-$$"
aot_dir="$root/target/image-aot"
rm -rf "$aot_dir"; mkdir -p "$aot_dir"; chmod 0777 "$aot_dir"
trap 'podman rm -f "$trainer" >/dev/null 2>&1 || true' EXIT
podman run -d --name "$trainer" --network none -v "$aot_dir:/aot" \
  -e DD_API_KEY=fake-key-for-aot-training -e DD_DD_URL=http://127.0.0.1:9 \
  ${aot_cache:+-e PILOTFISH_AOT_TRAINING=/aot} "$tag" run >/dev/null
deadline=$(( $(date +%s) + 90 ))
until podman exec -e PILOTFISH_AOT_TRAINING= "$trainer" pilotfish health >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || { podman logs "$trainer" >&2; echo "build-image: the training run was not healthy within 90 s" >&2; exit 1; }
  sleep 1
done
podman exec -e PILOTFISH_AOT_TRAINING=/aot "$trainer" pilotfish health >/dev/null
caches=(probe.aot)
if [ -n "$aot_cache" ]; then
  sleep 12
  caches+=(app.aot)
  podman stop -t 180 "$trainer" >/dev/null
fi
for cache in "${caches[@]}"; do
  [ -s "$aot_dir/$cache" ] || { podman logs "$trainer" >&2; echo "build-image: the training run wrote no $cache" >&2; exit 1; }
done
podman rm -f "$trainer" >/dev/null
{ echo "FROM $tag"; for cache in "${caches[@]}"; do echo "COPY --chown=0:0 $cache /opt/pilotfish/$cache"; done; } \
  > "$aot_dir/Containerfile"
podman build --format docker --pull=never -t "$tag" -f "$aot_dir/Containerfile" "$aot_dir"
echo "build-image: $tag ($(podman image inspect --format '{{.Size}}' "$tag") bytes)"
