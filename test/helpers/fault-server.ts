/**
 * A small fault-injecting HTTP server on 127.0.0.1 that plays an Azure-compatible upstream:
 * each request is recorded (method, path, query, headers, body, client port) and answered by
 * the next queued fault, or by the fallback when the queue is empty.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  /** A JSON answer (default status 200). */
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  /** Raw bytes or text, e.g. malformed JSON or an image. */
  | { kind: 'raw'; status?: number; body: string | Buffer; headers?: Record<string, string> }
  /** A status with no body (204). */
  | { kind: 'empty'; status: number; headers?: Record<string, string> }
  /** Never answers. */
  | { kind: 'hang' }
  /** Destroys the socket without answering (the client sees a reset / "other side closed"). */
  | { kind: 'reset' }
  /** Sends 200 headers, then one byte every `intervalMs`, never finishing. */
  | { kind: 'trickle'; intervalMs: number };

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The client's port: distinct values = distinct TCP connections. */
  remotePort: number;
}

/**
 * Azure's error envelope with a code and message of the caller's choosing. For Azure's own
 * failures prefer `recordedFault`, whose bodies follow the reference documentation rather than
 * facegraph's idea of them.
 */
export function azureError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
  innererror?: { code: string; message?: string },
): Fault {
  return { kind: 'json', status, body: { error: { code, message, ...(innererror ? { innererror } : {}) } }, headers };
}

/** A fault fixture in test/fixtures/azure/faults/: an Azure error response as documented. */
export interface RecordedFault {
  /** The section of ../shared/reference/azure-face-v1.2.md the response follows. */
  doc: string;
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** Names of the fixtures in test/fixtures/azure/faults/ (without .json). */
export type RecordedFaultName =
  | 'bad-argument-recognition-model-incompatible'
  | 'forbidden-403-unsupported-feature'
  | 'invalid-image-size-too-small'
  | 'rate-limited-429'
  | 'rate-limited-429-legacy'
  | 'service-unavailable-503'
  | 'session-not-found-404'
  | 'unauthorized-401';

export function loadRecordedFault(name: RecordedFaultName): RecordedFault {
  return JSON.parse(readFileSync(new URL(`../fixtures/azure/faults/${name}.json`, import.meta.url), 'utf8')) as RecordedFault;
}

/**
 * The fixture as a Fault. `headers`, when given, replace the fixture's headers (e.g. a test's
 * own Retry-After; `{}` for none).
 */
export function recordedFault(name: RecordedFaultName, headers?: Record<string, string>): Fault {
  const f = loadRecordedFault(name);
  return { kind: 'json', status: f.status, body: f.body, headers: headers ?? f.headers };
}

export class FaultServer {
  readonly requests: RecordedRequest[] = [];
  private queue: Fault[] = [];
  private timers = new Set<NodeJS.Timeout>();
  fallback: Fault | ((req: RecordedRequest) => Fault) = {
    kind: 'json',
    status: 500,
    body: { error: { code: 'NoFault', message: 'no fault queued' } },
  };

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FaultServer> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const fs = new FaultServer(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => fs.handle(req, res));
    return fs;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Answers for the next requests, in order. */
  enqueue(...faults: Fault[]): void {
    this.queue.push(...faults);
  }

  /** Forgets the recorded requests and queued faults. */
  reset(): void {
    this.requests.length = 0;
    this.queue = [];
  }

  /** Requests whose path ends with `suffix` (e.g. '/detect'). */
  to(suffix: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(suffix));
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks),
        remotePort: req.socket.remotePort ?? 0,
      };
      this.requests.push(recorded);
      const fault = this.queue.shift() ?? (typeof this.fallback === 'function' ? this.fallback(recorded) : this.fallback);
      this.answer(fault, req, res);
    });
  }

  private answer(fault: Fault, req: http.IncomingMessage, res: http.ServerResponse): void {
    switch (fault.kind) {
      case 'json': {
        const body = JSON.stringify(fault.body);
        res.writeHead(fault.status ?? 200, {
          'content-type': 'application/json; charset=utf-8',
          'apim-request-id': 'apim-test-id',
          ...fault.headers,
        });
        res.end(body);
        return;
      }
      case 'raw':
        res.writeHead(fault.status ?? 200, { 'content-type': 'application/octet-stream', ...fault.headers });
        res.end(fault.body);
        return;
      case 'empty':
        res.writeHead(fault.status, fault.headers);
        res.end();
        return;
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[');
        const t = setInterval(() => res.write(' '), fault.intervalMs);
        this.timers.add(t);
        res.on('close', () => {
          clearInterval(t);
          this.timers.delete(t);
        });
        return;
      }
    }
  }
}
