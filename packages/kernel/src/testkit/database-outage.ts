import net from 'node:net';
import type pg from 'pg';

/**
 * A TCP relay between a service and its PostgreSQL, so a test can take the database away the
 * way an outage does: open connections drop and new ones are refused (`ECONNREFUSED`).
 */
export interface DatabaseOutage {
  /** The database URL rewritten to go through the relay. */
  url: string;
  /** Drops every relayed connection and refuses new ones. */
  begin(): Promise<void>;
  /** Accepts connections again, on the same port. */
  end(): Promise<void>;
  close(): Promise<void>;
}

function listen(server: net.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export async function createDatabaseOutage(databaseUrl: string): Promise<DatabaseOutage> {
  const target = new URL(databaseUrl);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await listen(server, 0);
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    async begin() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    async end() {
      if (!server.listening) await listen(server, port);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Waits until `pool` has noticed that its idle connections dropped (it discards them on their
 * `error` event), so the next query really opens a new connection.
 */
export async function poolDrained(pool: pg.Pool, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pool.idleCount > 0) {
    if (Date.now() > deadline) throw new Error(`pool still holds ${pool.idleCount} idle connections`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Checks out every client `pool` may have (`max`), as requests do under a spike: the pool is busy
 * (nothing idle, nothing more to open) until the returned function gives them back.
 */
export async function holdEveryClient(pool: pg.Pool): Promise<() => void> {
  const held = await Promise.all(Array.from({ length: pool.options.max }, () => pool.connect()));
  return () => {
    for (const client of held.splice(0)) client.release();
  };
}
