# Any ferroscope binary, from a static binary built on this machine:
# nothing is pulled, so it works offline. deploy/docker/build-local.sh
# puts the binary and a CA bundle in deploy/docker/bin/ and runs
#
#   docker build --build-arg BINARY=node-exporter -f deploy/docker/prebuilt.Dockerfile -t ferroscope/node-exporter .
FROM scratch
ARG BINARY
COPY deploy/docker/bin/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY deploy/docker/bin/${BINARY} /app
USER 65534:65534
ENTRYPOINT ["/app"]
