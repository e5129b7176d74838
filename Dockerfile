# syntax=docker/dockerfile:1
# One image for every callpipe command: `migrate`, `ingest`, `worker`, `start`, `dead-letters`, …
# The runtime stage holds only what `pnpm deploy --prod` of the CLI package copies: the built
# dist/ of the CLI and of the workspace packages it depends on (each package's `files` is dist/),
# and their production dependencies. No sources, tests, test tooling (testkit, vitest,
# testcontainers, autocannon) or dev dependencies; test/static/image.test.ts checks that folder.
FROM node:24.21.0-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN corepack enable
WORKDIR /src
# The manifests first: the install layer is reused while only sources change.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY packages packages
COPY services services
COPY test/package.json test/package.json
COPY tsconfig.base.json ./
RUN --mount=type=cache,id=pnpm,target=/pnpm/store pnpm install --frozen-lockfile --store-dir=/pnpm/store
RUN pnpm --filter "@callpipe/cli..." build
# inject-workspace-packages for this command only: pnpm 10's deploy copies workspace packages (by
# their `files`) instead of linking them, from the shared lockfile, so versions stay those tested.
RUN --mount=type=cache,id=pnpm,target=/pnpm/store \
    pnpm --filter @callpipe/cli deploy --prod --store-dir=/pnpm/store --config.inject-workspace-packages=true /deploy

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /deploy /app
RUN mkdir -p /app/var/spool && chown node:node /app/var/spool
USER node
EXPOSE 8080 9091 9092
ENTRYPOINT ["node", "dist/main.js"]
CMD ["start"]
