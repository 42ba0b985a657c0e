# Any ferroscope binary, from a static binary built on this machine:
# nothing is pulled, so it works offline. deploy/docker/build-local.sh
# puts the binaries (per architecture) and a CA bundle in deploy/docker/bin/
# and runs
#
#   docker build --platform linux/amd64 --build-arg BINARY=node-exporter -f deploy/docker/prebuilt.Dockerfile -t ferroscope/node-exporter .
#
# TARGETARCH (amd64 or arm64) picks deploy/docker/bin/$TARGETARCH/; the
# legacy builder does not set it, hence the amd64 default.
FROM scratch
ARG BINARY
ARG TARGETARCH=amd64
COPY deploy/docker/bin/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY deploy/docker/bin/${TARGETARCH}/${BINARY} /app
USER 65534:65534
ENTRYPOINT ["/app"]
