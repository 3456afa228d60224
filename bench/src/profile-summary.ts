// Summarizes a V8 .cpuprofile (from `npm run bench -- --profile`): self time by function and by package, so the
// report can say where the server's CPU goes per request. Usage: tsx bench/src/profile-summary.ts <file.cpuprofile>
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: profile-summary.ts <file.cpuprofile>\n');
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfHits = new Map<number, number>();
for (const id of profile.samples) selfHits.set(id, (selfHits.get(id) ?? 0) + 1);
const total = profile.samples.length;

function area(url: string): string {
  if (!url) return '(native/idle)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] ?? url;
  if (url.startsWith('node:')) return url;
  const own = /apps\/server\/src\/(.+)$/.exec(url);
  return own ? `server:${own[1]}` : url;
}

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, hits] of selfHits) {
  const node = byId.get(id);
  if (!node) continue;
  const where = area(node.callFrame.url);
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
  byArea.set(where, (byArea.get(where) ?? 0) + hits);
}
const top = (map: Map<string, number>, n: number) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
process.stdout.write(
  `samples: ${total}\n\nself time by area:\n${top(byArea, 25)}\n\nself time by function:\n${top(byFunction, 30)}\n`,
);
