# syntax=docker/dockerfile:1
#
# One Dockerfile for every service; the build argument SERVICE names the cargo package (and
# binary) to build: gatekeeper-common, packager, catalogue or callback-mock.
#
#   docker build --build-arg SERVICE=catalogue -t sonata/catalogue .
#
# docker-compose.yml builds all four this way. The image runs the binary as the unprivileged
# user `sonata` (uid 10001) in /var/lib/sonata; the packager needs the argument `serve`.

# Build stage: the Rust toolchain on Debian bookworm, the same Debian release as the runtime
# stage, so the binary links against the glibc it will run with.
FROM rust:1-bookworm AS build
ARG SERVICE
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,sharing=locked \
    test -n "$SERVICE" \
      || { echo "--build-arg SERVICE=<gatekeeper-common|packager|catalogue|callback-mock> is required" >&2; exit 1; } \
    && cargo build --release --locked -p "$SERVICE" --bin "$SERVICE" \
    && install -D -m 0755 "target/release/$SERVICE" "/out/$SERVICE"

# Runtime stage: a slim Debian with CA certificates (S3 over HTTPS) and curl (compose health
# checks), no toolchain.
FROM debian:bookworm-slim AS runtime
ARG SERVICE
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/sonata --shell /usr/sbin/nologin sonata \
    && install -d -o sonata -g sonata /var/lib/sonata /var/lib/sonata/data
COPY --from=build /out/${SERVICE} /usr/local/bin/${SERVICE}
RUN ln -s "/usr/local/bin/${SERVICE}" /usr/local/bin/sonata-service
USER 10001:10001
WORKDIR /var/lib/sonata
ENV RUST_LOG=info
ENTRYPOINT ["/usr/local/bin/sonata-service"]
