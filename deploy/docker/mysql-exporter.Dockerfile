# mysql-exporter: MySQL/MariaDB metrics (mysqld_exporter compatible).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/mysql-exporter.Dockerfile -t ferroscope/mysql-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh mysql-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p mysql-exporter --bin mysql-exporter \
    && cp target/release/mysql-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9104
ENTRYPOINT ["/app"]
