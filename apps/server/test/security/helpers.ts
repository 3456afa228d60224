// Helpers for the adversarial suite: raw HTTP (to send bytes fetch() refuses to send), row counts straight from
// PostgreSQL (to prove a request changed nothing), and the SQL-injection strings every string field is fed.
import { connect } from 'node:net';
import pg from 'pg';

export const SQL_INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE events; --',
  "'); DROP TABLE users; --",
  "x' UNION SELECT password_hash FROM users --",
  '1; SELECT pg_sleep(5); --',
];

export interface RawResponse {
  status: number;
  head: string;
  body: string;
}

/** Sends `request` verbatim over a TCP socket and returns the parsed status line, headers and body. */
export function rawHttp(baseUrl: string, request: string): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let data = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const split = data.indexOf('\r\n\r\n');
      const head = split >= 0 ? data.slice(0, split) : data;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      resolve({ status, head, body: split >= 0 ? data.slice(split + 4) : '' });
    });
    socket.write(request, 'latin1');
  });
}

/** Row counts of the tables an attack could try to drop or fill; compare before and after. */
export async function tableCounts(
  databaseUrl: string | undefined,
  tables: string[],
): Promise<Record<string, number>> {
  if (!databaseUrl) throw new Error('tableCounts needs a PostgreSQL database');
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const counts: Record<string, number> = {};
    for (const table of tables) {
      const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${table}`);
      counts[table] = (rows[0] as { n: number }).n;
    }
    return counts;
  } finally {
    await client.end();
  }
}

/** Lower-cased header names → values from a raw response head. */
export function headersOf(head: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    map.set(name, [...(map.get(name) ?? []), line.slice(i + 1).trim()]);
  }
  return map;
}
