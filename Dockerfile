# One image for the API, the worker, the migrations and the CLI; compose picks the command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY prisma ./prisma
COPY prisma.config.ts tsconfig.json ./
# Dependency install scripts are not needed (the Prisma client is generated below, offline).
RUN npm ci --ignore-scripts --no-audit --no-fund && npm run -s db:generate
COPY src ./src
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/server.ts"]
