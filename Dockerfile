# Build a static binary, then run it alone, as a non-root user, on a base
# image without a shell or package manager.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/redis-session-demo .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/redis-session-demo /redis-session-demo
ENV APP_ENV=production PORT=8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/redis-session-demo"]
