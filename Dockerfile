# Build a static binary, then ship it alone on a minimal image.
# docker build --build-arg VERSION=$(git describe --tags --always) .
FROM golang:1.26-bookworm AS build
ARG VERSION=devel
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/townhall ./cmd/townhall \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=devel
LABEL org.opencontainers.image.title="Townhall" \
      org.opencontainers.image.description="Polls, word clouds, Q&A and a fair speaker queue for large live sessions" \
      org.opencontainers.image.version="${VERSION}"
COPY --from=build /out/townhall /townhall
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV TOWNHALL_ADDR=:8080 TOWNHALL_DATA=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/townhall"]
