import type { Hono } from "hono";

export interface HttpServer {
  url: string;
  stop(): Promise<void>;
}

export function startHttpServer(app: Hono, host: string, port: number): HttpServer {
  const server = Bun.serve({ hostname: host, port, fetch: app.fetch });
  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  return {
    url: `http://${shownHost}:${server.port}`,
    stop: () => server.stop(true),
  };
}
