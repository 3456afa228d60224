// The LLM provider the gateway phase calls: the local OpenAI/Anthropic simulator the tests use
// (packages/sdk/test/support/llm-upstream.ts), run as a child process of its own so it competes with neither the load
// generator's event loop nor the server's. Both sides of the comparison — the request sent to it directly and the same
// request sent through the gateway — are answered by this one process.
// Usage: node --import tsx bench/src/llm-upstream-server.ts (with an IPC channel). Prints `listening <url>`; takes
// `{ type: 'script', reply, count }` messages (the next `count` requests are answered with `reply`) and acknowledges
// each with `{ type: 'scripted' }`.
import { type Reply, startLLMUpstream } from '../../packages/sdk/test/support/llm-upstream.js';

export interface ScriptMessage {
  type: 'script';
  reply: Reply;
  count: number;
}

const upstream = await startLLMUpstream();
process.on('message', (message: ScriptMessage) => {
  if (message?.type !== 'script') return;
  upstream.script(...Array.from({ length: message.count }, () => message.reply));
  process.send?.({ type: 'scripted' });
});
process.on('SIGTERM', () => {
  void upstream.close().then(() => process.exit(0));
});
process.on('disconnect', () => {
  void upstream.close().then(() => process.exit(0));
});
process.stdout.write(`listening ${upstream.url}\n`);
