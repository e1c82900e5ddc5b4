# Build: docker build -t kite .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/kite ./cmd/kite

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/kite /usr/local/bin/kite
ENV KITE_ADDR=0.0.0.0:8080 KITE_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/usr/local/bin/kite"]
CMD ["serve"]
