# kafka-exporter: Kafka metrics (kafka_exporter compatible); rdkafka is built with cmake.
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/kafka-exporter.Dockerfile -t ferroscope/kafka-exporter .
#
# Without network access (no base images): deploy/docker/build-local.sh kafka-exporter
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates cmake make g++ linux-headers perl
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p kafka-exporter --bin kafka-exporter \
    && cp target/release/kafka-exporter /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 9308
ENTRYPOINT ["/app"]
