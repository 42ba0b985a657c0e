# demo-app: The instrumented demo API and its load generator (`load` subcommand).
# A static (musl) binary built from this repository, run from an empty
# image as an unprivileged user.
#
#   docker build -f deploy/docker/demo-app.Dockerfile -t ferroscope/demo-app .
#
# Without network access (no base images): deploy/docker/build-local.sh demo-app
FROM rust:1-alpine AS build
RUN apk add --no-cache musl-dev ca-certificates
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p demo-app --bin demo-app \
    && cp target/release/demo-app /app

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /app /app
USER 65534:65534
EXPOSE 5000
ENTRYPOINT ["/app"]
