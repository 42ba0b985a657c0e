# node-exporter: Host metrics (node_exporter compatible).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/node-exporter.Dockerfile -t ferroscope/node-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh node-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p node-exporter --bin node-exporter \
    && cp target/release/node-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9100
ENTRYPOINT ["/app"]
