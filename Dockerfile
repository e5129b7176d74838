# syntax=docker/dockerfile:1
# One image for every callpipe command: `migrate`, `ingest`, `worker`, `start`, `dead-letters`.
FROM node:24.21.0-bookworm-slim AS build
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN corepack enable
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm -r --filter "./packages/**" --filter "./services/**" build \
 && pnpm install --frozen-lockfile --prod --config.confirmModulesPurge=false

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/var/spool && chown node:node /app/var/spool
USER node
EXPOSE 8080 9091 9092
ENTRYPOINT ["node", "services/callpipe/dist/main.js"]
CMD ["start"]
