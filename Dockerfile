# The socket host for Cloud Run. Build from the repository root:
#   docker build -t socket-host .
# Two stages: the build stage bundles socket-host/src (with shared/ inlined) into one file; the
# runtime stage installs only the socket host's production dependencies from the lockfile.

FROM node:22-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is cached until they change.
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY functions/package.json functions/
COPY socket-host/package.json socket-host/
# No install scripts: the root postinstall only patches the test Firestore emulator.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.base.json ./
COPY scripts/lib/bundle.mjs scripts/lib/
COPY shared shared
COPY socket-host socket-host
RUN npm run build --workspace socket-host

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY functions/package.json functions/
COPY socket-host/package.json socket-host/
# Exactly the lockfile's versions of socket-host's dependencies, nothing for development.
RUN npm ci --omit=dev --workspace socket-host --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/socket-host/dist socket-host/dist
# The image's unprivileged user; the host needs no file system writes (auth state lives in Firestore).
USER node
ENV PORT=8080
EXPOSE 8080
# V8's old generation capped at 1.5 GiB of the instance's 2 GiB (the README's deploy command), the
# rest left to the young generation, buffers and native memory, as Node's docs advise for a 2 GiB
# machine. The cap also sets how much garbage V8 lets pile up between full collections: with the
# 4 GiB it picks on a large machine, an import's peak grew with its size, at 1.5 GiB it does not
# (the sync benchmark runs its memory figures with this setting, read from here). With more
# memory, deploy with NODE_OPTIONS set to about three quarters of it.
ENV NODE_OPTIONS=--max-old-space-size=1536
CMD ["node", "socket-host/dist/main.js"]
