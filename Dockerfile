# rankstream: a static binary on a distroless base, run as a non-root user.
#   docker build -t ghcr.io/rankstream/rankstream:0.1.0 .
# Used by docker-compose.yml; the image's health check command is
# `rankstream health --url http://127.0.0.1:8080/readyz`.

FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/rankstream ./cmd/rankstream

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/rankstream /usr/local/bin/rankstream
COPY contests /etc/rankstream/contests
USER nonroot:nonroot
WORKDIR /home/nonroot
EXPOSE 8080 4250
ENTRYPOINT ["/usr/local/bin/rankstream"]
CMD ["run"]
