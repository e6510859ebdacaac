# rankbridge: one process per shard range. Bun is pinned: older releases hang the worker sharding strategy.
FROM oven/bun:1.4.5-slim

WORKDIR /app
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile --production

COPY tsconfig.json bunfig.toml ./
COPY src ./src
COPY drizzle ./drizzle

RUN mkdir -p /data && chown bun:bun /data
ENV NODE_ENV=production \
    DATABASE_PATH=/data/rankbridge.sqlite \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080
VOLUME /data
EXPOSE 8080
USER bun

HEALTHCHECK --interval=30s --timeout=5s \
  CMD bun -e "fetch('http://127.0.0.1:8080/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"

# SIGTERM from `docker stop` triggers the graceful shutdown (finish in-flight commands, close shards).
CMD ["bun", "src/main.ts"]
