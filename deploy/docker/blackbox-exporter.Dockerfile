# blackbox-exporter: Probes of external endpoints (blackbox_exporter compatible).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/blackbox-exporter.Dockerfile -t ferroscope/blackbox-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh blackbox-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
# Multi-arch: the Rust target follows the platform being built
# (TARGETARCH from BuildKit, else this machine's), amd64 or arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -f deploy/docker/blackbox-exporter.Dockerfile .
ARG TARGETARCH
RUN case "${TARGETARCH:-$(uname -m)}" in \
      amd64|x86_64) target=x86_64-unknown-linux-musl ;; \
      arm64|aarch64) target=aarch64-unknown-linux-musl ;; \
      *) echo "unsupported platform ${TARGETARCH:-$(uname -m)}: amd64 or arm64" >&2; exit 1 ;; \
    esac \
    && cargo build --release --locked --target "$target" -p blackbox-exporter --bin blackbox-exporter \
    && cp "target/$target/release/blackbox-exporter" /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9115
ENTRYPOINT ["/app"]
