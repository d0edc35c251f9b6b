# syntax=docker/dockerfile:1

# ---- build: compile native modules (better-sqlite3, argon2) and the TypeScript sources ----
FROM node:24-bookworm-slim AS build
WORKDIR /app

# node-gyp toolchain: argon2 is always compiled from its patched sources (scripts/build-argon2.js),
# better-sqlite3 when no prebuilt binary matches this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# NODE_ENV is deliberately not "production" here: the build needs the dev dependencies (tsc).
# patches/ before the install: its postinstall (patch-package) applies them to node_modules,
# then compiles argon2 from its patched sources.
COPY package.json package-lock.json ./
COPY patches ./patches
COPY scripts/build-argon2.js ./scripts/
RUN --mount=type=cache,target=/root/.npm npm ci

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime ----
FROM node:24-bookworm-slim AS runtime
WORKDIR /app

# MALLOC_ARENA_MAX=1: see the CMD below.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    PORT=3000 \
    MALLOC_ARENA_MAX=1

# Application files stay owned by root (read-only for the app); only /data is writable by node.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY views ./views
COPY bin ./bin
COPY package.json ./

RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
EXPOSE 3000

# The slim image has no curl: probe /healthz with node's built-in fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# The same memory settings as `npm start` (see README, "Memory and start-up"): the live heap
# is ~25 MB, and without caps V8 lets garbage grow the heap towards its default limit of
# several GB and the young generation to 32 MB (8 MB semi-spaces: 4 MB ones promoted requests
# that wait on Redis into the old generation, see README);
# with one malloc arena, what libuv's threads allocate is not kept once per thread (argon2id's
# 19 MiB blocks come from patches/argon2+*.patch's own mappings, outside malloc).
CMD ["node", "--max-old-space-size=256", "--max-semi-space-size=8", "dist/main.js"]
