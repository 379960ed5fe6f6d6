# One image for the API, the worker, the migrations and the CLI; compose picks the command.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json tsconfig.build.json ./
# Dependency install scripts are not needed.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npm run -s build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
COPY --from=build /app/dist ./dist
# src serves the CLI and the migrations, which run through tsx.
COPY --from=build /app/src ./src
USER node
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/server.js"]
