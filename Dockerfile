# Build a static binary, then ship it alone on a minimal image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/townhall ./cmd/townhall \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/townhall /townhall
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
ENV TOWNHALL_ADDR=:8080 TOWNHALL_DATA=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/townhall"]
