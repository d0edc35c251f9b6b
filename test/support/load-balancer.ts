import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A tiny HTTP load balancer: forwards every request to whichever backend `target` names. */
export class LoadBalancer {
  /** Backend name → base URL; may be filled in after listen(), once the backends know the public URL. */
  readonly backends: Record<string, string> = {};
  target = '';
  readonly hits = new Map<string, number>();
  private server?: Server;
  url = '';

  /** `forwardedFor`: append the client's address to X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does. */
  constructor(private readonly options: { forwardedFor?: boolean } = {}) {}

  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const backend = new URL(this.backends[this.target]!);
      this.hits.set(this.target, (this.hits.get(this.target) ?? 0) + 1);
      const headers = { ...req.headers };
      if (this.options.forwardedFor) {
        const sent = req.headers['x-forwarded-for'];
        headers['x-forwarded-for'] = [sent, req.socket.remoteAddress].filter(Boolean).join(', ');
      }
      const upstream = request(
        { host: backend.hostname, port: backend.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502).end();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
