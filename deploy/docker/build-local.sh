#!/bin/sh
# Builds the ferroscope images without base images or a registry: static
# musl binaries built here, copied into FROM-scratch images tagged as
# docker-compose.yml expects them. Usage: build-local.sh [BINARY...]
#
# Multi-arch: ARCHS="amd64 arm64" builds both Rust targets
#   amd64 -> x86_64-unknown-linux-musl
#   arm64 -> aarch64-unknown-linux-musl
# (rustup target add both; arm64 links with rust-lld unless
# CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER says otherwise, and the
# kafka-exporter's C code needs CC_aarch64_unknown_linux_musl, e.g.
# aarch64-linux-musl-gcc). Images are tagged ferroscope/BINARY:latest-ARCH,
# and :latest for this machine's architecture; push the per-arch tags and
# join them with `docker manifest create` for a multi-arch image.
#
# LIBC=gnu builds static glibc binaries instead (the gnu targets with
# -C target-feature=+crt-static; kafka-exporter links OpenSSL statically),
# for machines where the musl targets cannot be installed. They run FROM
# scratch (checked with --version) but glibc's resolver wants its NSS
# libraries at run time, which scratch lacks: use them to measure and try
# the images, ship the musl ones.
set -eu
cd "$(dirname "$0")/../.."
archs="${ARCHS:-amd64}"
binaries="${*:-node-exporter container-exporter blackbox-exporter redis-exporter mysql-exporter kafka-exporter demo-app}"
case "$(uname -m)" in
    x86_64) host=amd64 ;;
    aarch64) host=arm64 ;;
    *) host=unknown ;;
esac
mkdir -p deploy/docker/bin
cp /etc/ssl/certs/ca-certificates.crt deploy/docker/bin/
for arch in $archs; do
    case "$arch" in
        amd64) target=x86_64-unknown-linux-${LIBC:-musl} ;;
        arm64)
            target=aarch64-unknown-linux-${LIBC:-musl}
            if [ "$host" != arm64 ]; then
                export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER="${CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER:-rust-lld}"
            fi
            ;;
        *) echo "unsupported arch $arch: amd64 or arm64" >&2; exit 1 ;;
    esac
    if [ "${LIBC:-musl}" = gnu ]; then
        export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" OPENSSL_STATIC=1
    fi
    out="${CARGO_TARGET_DIR:-target}/$target/release"
    mkdir -p "deploy/docker/bin/$arch"
    for binary in $binaries; do
        cargo build --release --locked --target "$target" --bin "$binary"
        cp "$out/$binary" "deploy/docker/bin/$arch/$binary"
        docker build --platform "linux/$arch" --build-arg "BINARY=$binary" \
            -f deploy/docker/prebuilt.Dockerfile -t "ferroscope/$binary:latest-$arch" .
        if [ "$arch" = "$host" ]; then
            docker tag "ferroscope/$binary:latest-$arch" "ferroscope/$binary:latest"
        fi
    done
done
