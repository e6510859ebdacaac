import type { Socket, TCPSocketListener } from "bun";

/**
 * A TCP forwarder in front of a real server (e.g. PostgreSQL), to take the server "away" for one
 * test without stopping it for anyone else: `cut()` drops every connection and refuses new ones on
 * the same port; `restore()` accepts them again.
 */
export class TcpProxy {
  #listener: TCPSocketListener<{ upstream?: Socket<unknown>; pending: Uint8Array[] }> | undefined;
  readonly #open = new Set<Socket<unknown>>();
  #port = 0;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  static start(targetHost: string, targetPort: number): TcpProxy {
    const proxy = new TcpProxy(targetHost, targetPort);
    proxy.#listen();
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  #listen(): void {
    const open = this.#open;
    const { targetHost, targetPort } = this;
    this.#listener = Bun.listen<{ upstream?: Socket<unknown>; pending: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port: this.#port,
      socket: {
        open(client) {
          client.data = { pending: [] };
          open.add(client);
          void Bun.connect({
            hostname: targetHost,
            port: targetPort,
            socket: {
              open(upstream) {
                open.add(upstream);
                client.data.upstream = upstream;
                for (const chunk of client.data.pending.splice(0)) upstream.write(chunk);
              },
              data: (_upstream, chunk) => void client.write(chunk),
              close() {
                client.end();
              },
              error() {
                client.end();
              },
            },
          }).catch(() => client.end());
        },
        data(client, chunk) {
          if (client.data.upstream) client.data.upstream.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          open.delete(client);
          client.data.upstream?.end();
        },
      },
    });
    this.#port = this.#listener.port;
  }

  /** The server is gone: connections dropped, new ones refused. */
  cut(): void {
    this.#listener?.stop(true);
    this.#listener = undefined;
    for (const socket of this.#open) socket.end();
    this.#open.clear();
  }

  /** The server is back on the same port. */
  restore(): void {
    if (!this.#listener) this.#listen();
  }

  stop(): void {
    this.cut();
  }
}
