# container-exporter: Container metrics (cAdvisor compatible).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/container-exporter.Dockerfile -t ferroscope/container-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh container-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p container-exporter --bin container-exporter \
    && cp target/release/container-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 8080
ENTRYPOINT ["/app"]
