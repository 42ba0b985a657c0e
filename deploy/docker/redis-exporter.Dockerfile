# redis-exporter: Redis metrics (redis_exporter compatible).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/redis-exporter.Dockerfile -t ferroscope/redis-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh redis-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p redis-exporter --bin redis-exporter \
    && cp target/release/redis-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9121
ENTRYPOINT ["/app"]
