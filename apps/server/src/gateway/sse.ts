// Server-sent events as the providers stream them, split into whole frames so the gateway can read each one (usage,
// text) and pass it on unchanged — or drop it (the usage-only chunk a client did not ask for). Bytes are decoded with
// a StringDecoder so a UTF-8 character split across two network chunks is never broken; a frame is re-encoded as the
// same bytes it arrived as.
import { StringDecoder } from 'node:string_decoder';

export interface SseFrame {
  /** The frame as it arrived, its blank-line terminator included: what is written to the client. */
  raw: string;
  /** The `event:` field, null when the frame has none (OpenAI chat streams). */
  event: string | null;
  /** The `data:` lines joined by newlines ('' for a frame without data, e.g. a comment). */
  data: string;
}

const FRAME_END = /\r?\n\r?\n/;

export class SseSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  /** The whole frames completed by `chunk`; a partial frame waits for the next chunk. */
  push(chunk: Buffer): SseFrame[] {
    this.pending += this.decoder.write(chunk);
    const frames: SseFrame[] = [];
    for (;;) {
      const match = FRAME_END.exec(this.pending);
      if (!match) break;
      const end = match.index + match[0].length;
      frames.push(parseFrame(this.pending.slice(0, end)));
      this.pending = this.pending.slice(end);
    }
    return frames;
  }

  /** What is left when the stream ends: a last frame without its blank line, if any. */
  flush(): SseFrame[] {
    const rest = this.pending + this.decoder.end();
    this.pending = '';
    return rest.trim() === '' ? [] : [parseFrame(rest)];
  }
}

function parseFrame(raw: string): SseFrame {
  let event: string | null = null;
  const data: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { raw, event, data: data.join('\n') };
}

/** The JSON of a frame's data, or null ('[DONE]', a comment, a malformed frame: passed on, never read). */
export function frameJson(frame: SseFrame): Record<string, unknown> | null {
  if (frame.data === '' || frame.data === '[DONE]') return null;
  try {
    const value: unknown = JSON.parse(frame.data);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
