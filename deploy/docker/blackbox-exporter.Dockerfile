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
RUN cargo build --release --locked -p blackbox-exporter --bin blackbox-exporter \
    && cp target/release/blackbox-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9115
ENTRYPOINT ["/app"]
