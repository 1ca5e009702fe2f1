# Build a static binary, then run it alone, as a non-root user, on a base
# image without a shell or package manager.
FROM golang:1.26-trixie AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The build context has no .git (see .dockerignore), so Go cannot stamp the
# commit by itself: pass it in. Railway passes RAILWAY_GIT_COMMIT_SHA to a
# Dockerfile that declares it; elsewhere use --build-arg VERSION=$(git rev-parse --short=12 HEAD).
ARG VERSION=""
ARG RAILWAY_GIT_COMMIT_SHA=""
RUN v="${VERSION:-${RAILWAY_GIT_COMMIT_SHA:-unknown}}" && \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags="-s -w -X redis-session-demo/internal/buildinfo.stamped=${v}" \
      -o /out/redis-session-demo .

FROM gcr.io/distroless/static-debian13:nonroot
ARG VERSION=""
LABEL org.opencontainers.image.title="redis-session-demo" \
      org.opencontainers.image.description="Where a server-side session lives: cookie, Redis key and values side by side" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/redis-session-demo /redis-session-demo
ENV APP_ENV=production PORT=8080
EXPOSE 8080
USER nonroot:nonroot
# No shell or curl in the image: the binary asks its own /livez.
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s CMD ["/redis-session-demo", "-healthcheck"]
# Docker sends SIGTERM on stop; the app drains for up to 10 s (docker stop
# waits 10 s by default: pass --time 15 to leave it room).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/redis-session-demo"]
