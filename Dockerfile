# signet in a container: the same `npm ci && npm start` as on a laptop.
FROM node:20-bookworm-slim
# better-sqlite3 builds its native addon during npm ci
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY tsconfig.json ./
ENV SIGNET_HOST=0.0.0.0 \
    SIGNET_PORT=9000 \
    SIGNET_DATA_DIR=/data
VOLUME /data
EXPOSE 9000
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:9000/_signet/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "src/cli/bin.cjs", "serve"]
