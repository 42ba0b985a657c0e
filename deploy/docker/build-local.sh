#!/bin/sh
# Builds the ferroscope images without base images or a registry: static
# musl binaries built here (rustup target x86_64-unknown-linux-musl, or
# Debian's musl-tools), copied into FROM-scratch images tagged as
# docker-compose.yml expects them. Usage: build-local.sh [BINARY...]
set -eu
cd "$(dirname "$0")/../.."
target=x86_64-unknown-linux-musl
out="${CARGO_TARGET_DIR:-target}/$target/release"
binaries="${*:-node-exporter container-exporter blackbox-exporter redis-exporter mysql-exporter kafka-exporter demo-app}"
mkdir -p deploy/docker/bin
cp /etc/ssl/certs/ca-certificates.crt deploy/docker/bin/
for binary in $binaries; do
    cargo build --release --locked --target "$target" --bin "$binary"
    cp "$out/$binary" "deploy/docker/bin/$binary"
    docker build --build-arg "BINARY=$binary" -f deploy/docker/prebuilt.Dockerfile \
        -t "ferroscope/$binary:latest" .
done
