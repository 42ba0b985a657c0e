# kafka-exporter: Kafka metrics (kafka_exporter compatible); rdkafka is built with cmake.
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/kafka-exporter.Dockerfile -t ferroscope/kafka-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh kafka-exporter
FROM rust:1-alpine AS build
# openssl-sys (rdkafka's ssl feature) finds OpenSSL through pkg-config and
# links it statically into the musl binary: headers and static libraries.
RUN apk add --no-cache musl-dev ca-certificates cmake make g++ linux-headers perl \
        pkgconf openssl-dev openssl-libs-static zlib-dev zlib-static
ENV OPENSSL_STATIC=1
WORKDIR /src
COPY . .
# Multi-arch: the Rust target follows the platform being built
# (TARGETARCH from BuildKit, else this machine's), amd64 or arm64:
#   docker buildx build --platform linux/amd64,linux/arm64 -f deploy/docker/kafka-exporter.Dockerfile .
ARG TARGETARCH
RUN case "${TARGETARCH:-$(uname -m)}" in \
      amd64|x86_64) target=x86_64-unknown-linux-musl ;; \
      arm64|aarch64) target=aarch64-unknown-linux-musl ;; \
      *) echo "unsupported platform ${TARGETARCH:-$(uname -m)}: amd64 or arm64" >&2; exit 1 ;; \
    esac \
    && cargo build --release --locked --target "$target" -p kafka-exporter --bin kafka-exporter \
    && cp "target/$target/release/kafka-exporter" /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9308
ENTRYPOINT ["/app"]
