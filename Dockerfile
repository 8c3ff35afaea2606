# otel-bridge container image.
#   docker build -t otel-bridge .
#   docker run -p 4317:4317 -p 4318:4318 -p 8888:8888 -p 13133:13133 -p 9464:9464 otel-bridge
#   docker run -v $PWD/my.yaml:/etc/otel-bridge/config.yaml otel-bridge   # override the baked-in pipeline
# Ports: 4317 OTLP/gRPC, 4318 OTLP/HTTP, 8888 self-metrics, 13133 health/status page, 9464 Prometheus /metrics.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The image already runs Node 24, so the pinned node@24 devDependency is not needed at run time.
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production
# Caps V8's young generation (it grows to ~190 MiB under load otherwise), so memory_limiter limits hold.
ENV NODE_OPTIONS=--max-semi-space-size=16
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY otel-config ./otel-config
COPY pipelines/default.yaml /etc/otel-bridge/config.yaml
RUN mkdir -p /var/lib/otel-bridge && chown node:node /var/lib/otel-bridge
USER node
EXPOSE 4317 4318 8888 9464 13133
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:13133/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "src/cli/main.ts"]
CMD ["run", "--config", "/etc/otel-bridge/config.yaml"]
