// A TCP proxy on 127.0.0.1:<random port> in front of a real PostgreSQL or Redis, to make a dependency
// "unreachable" for one server under test without stopping the shared servers other tests use.
//   pause()  — black hole: open connections stay open but nothing flows (like a network partition);
//              new connections are accepted and then hang. Timeouts must fire.
//   cut()    — closes every connection and refuses new ones (like the server going down).
//   holdReplies() — only the server's replies are held: requests still reach it and run, their answers stall (a
//              query that executed but whose result arrives late). resume() lets them flow.
//   resume() — back to normal (new connections work; black-holed, held and stalled ones flow again; no delay).
// Faults a real network can do to one connection (the first whose client→server chunk matches):
//   loseNextReply(match) — the matching chunk IS forwarded (the command runs), then the server's reply bytes on
//                          that connection are dropped and both sockets destroyed: the client never learns the result.
//   stallAfter(match)    — forwards the matching chunk, then stops that connection (both ways) until resume().
//   stallBefore(match)   — stops that connection with the matching chunk NOT yet forwarded, until resume()
//                          (then it is delivered) or cut() (then it never is).
//   delay(ms)            — adds latency to every chunk, both directions, order kept (0 = off).
// Each fault fires once, on the first matching chunk of any connection; clearFaults() disarms those not fired.
import net from 'node:net';

/** Decides on one client→server chunk (a TCP read: one or more protocol messages, possibly a partial one). */
export type ChunkMatch = (clientChunk: Buffer) => boolean;

export interface TcpProxy {
  port: number;
  url(scheme: 'postgres' | 'redis', path?: string): string;
  pause(): void;
  holdReplies(): void;
  cut(): void;
  resume(): void;
  /** Resolves once a matching chunk was forwarded and its connection's reply lost (both sockets destroyed). */
  loseNextReply(match: ChunkMatch): Promise<void>;
  /** Resolves once a matching chunk was forwarded and its connection stopped. */
  stallAfter(match: ChunkMatch): Promise<void>;
  /** Resolves once a connection stopped right before forwarding a matching chunk. */
  stallBefore(match: ChunkMatch): Promise<void>;
  /** Latency added to every chunk from now on (both directions; 0 = none). */
  delay(ms: number): void;
  /** Disarms every fault that has not fired yet (their promises never resolve). */
  clearFaults(): void;
  /** How many connections are open right now. */
  readonly connections: number;
  close(): Promise<void>;
}

type FaultKind = 'lose' | 'stallAfter' | 'stallBefore';

interface Fault {
  kind: FaultKind;
  match: ChunkMatch;
  done(): void;
}

interface Chunk {
  data: Buffer;
  readyAt: number;
  fault?: Fault;
}

/** Once the server's first reply bytes after a lost command arrive, keep dropping this long, then destroy. */
const LOSE_GRACE_MS = 25;
/** A command whose reply never comes (e.g. a blocking one) is cut off after this long anyway. */
const LOSE_MAX_WAIT_MS = 1_000;

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'open' | 'paused' | 'replies-held' | 'cut' = 'open';
  let delayMs = 0;
  const faults: Fault[] = [];
  const pairs = new Set<Pair>();

  class Pair {
    readonly upstream: net.Socket;
    stalled = false;
    /** Set once a lost command was forwarded: the server's replies are dropped from then on. */
    losing: Fault | null = null;
    dropping = false;
    closed = false;
    private readonly queues: { up: Chunk[]; down: Chunk[] } = { up: [], down: [] };
    private timers: { up?: NodeJS.Timeout; down?: NodeJS.Timeout } = {};

    constructor(readonly client: net.Socket) {
      this.upstream = net.connect(targetPort, targetHost);
      client.on('data', (data) => this.arrive('up', data));
      this.upstream.on('data', (data) => this.arrive('down', data));
      for (const socket of [client, this.upstream]) {
        socket.on('error', () => this.destroy());
        socket.on('close', () => this.destroy());
      }
    }

    private arrive(direction: 'up' | 'down', data: Buffer): void {
      if (this.closed) return;
      if (direction === 'down' && this.losing) {
        // The reply of a lost command (and whatever follows it) never reaches the client; a moment later the
        // connection dies, as if the network had failed right after the command was delivered.
        if (!this.dropping) {
          this.dropping = true;
          const fault = this.losing;
          setTimeout(() => {
            this.destroy();
            fault.done();
          }, LOSE_GRACE_MS);
        }
        return;
      }
      const chunk: Chunk = { data, readyAt: Date.now() + delayMs };
      if (direction === 'up') {
        const at = faults.findIndex((f) => f.match(data));
        if (at >= 0) {
          chunk.fault = faults[at];
          faults.splice(at, 1);
        }
      }
      this.queues[direction].push(chunk);
      this.pump(direction);
    }

    pump(direction: 'up' | 'down'): void {
      if (this.closed) return;
      const queue = this.queues[direction];
      const to = direction === 'up' ? this.upstream : this.client;
      while (queue.length > 0) {
        const held = mode === 'paused' || mode === 'cut' || (mode === 'replies-held' && direction === 'down');
        if (held || this.stalled) return; // resume() pumps again
        const head = queue[0] as Chunk;
        const wait = head.readyAt - Date.now();
        if (wait > 0) {
          if (!this.timers[direction]) {
            this.timers[direction] = setTimeout(() => {
              this.timers[direction] = undefined;
              this.pump(direction);
            }, wait);
          }
          return;
        }
        const fault = head.fault;
        if (fault?.kind === 'stallBefore') {
          head.fault = undefined;
          this.stalled = true;
          fault.done();
          return;
        }
        queue.shift();
        to.write(head.data);
        if (fault?.kind === 'stallAfter') {
          this.stalled = true;
          fault.done();
          return;
        }
        if (fault?.kind === 'lose') {
          this.losing = fault;
          setTimeout(() => {
            this.destroy();
            fault.done();
          }, LOSE_MAX_WAIT_MS);
        }
      }
    }

    unstall(): void {
      this.stalled = false;
      this.pump('up');
      this.pump('down');
    }

    destroy(): void {
      if (this.closed) return;
      this.closed = true;
      clearTimeout(this.timers.up);
      clearTimeout(this.timers.down);
      this.client.destroy();
      this.upstream.destroy();
      pairs.delete(this);
    }
  }

  const server = net.createServer((client) => {
    if (mode === 'cut') {
      client.destroy();
      return;
    }
    pairs.add(new Pair(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const arm = (kind: FaultKind, match: ChunkMatch) =>
    new Promise<void>((resolve) => {
      faults.push({ kind, match, done: resolve });
    });
  const destroyAll = () => {
    for (const pair of [...pairs]) pair.destroy();
  };

  return {
    port,
    url(scheme, path = '') {
      return scheme === 'postgres'
        ? `postgres://postgres@127.0.0.1:${port}${path}`
        : `redis://127.0.0.1:${port}`;
    },
    pause() {
      mode = 'paused';
    },
    holdReplies() {
      mode = 'replies-held';
    },
    cut() {
      mode = 'cut';
      destroyAll();
    },
    resume() {
      mode = 'open';
      delayMs = 0;
      for (const pair of [...pairs]) pair.unstall();
    },
    loseNextReply: (match) => arm('lose', match),
    stallAfter: (match) => arm('stallAfter', match),
    stallBefore: (match) => arm('stallBefore', match),
    delay(ms) {
      delayMs = Math.max(0, ms);
    },
    clearFaults() {
      faults.length = 0;
    },
    get connections() {
      return pairs.size;
    },
    async close() {
      mode = 'cut';
      faults.length = 0;
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
