// What a received OpenAI chat-completions stream held, so the gateway phase can tell a fully received stream from a
// cut, failed or altered one: the frames, the content chunks and their text, whether it ended with `data: [DONE]`,
// and any error frame (the gateway's kill-switch frame, a provider's error) or usage-only chunk on the way.

export interface StreamCheck {
  /** Every `data:` frame, [DONE] included. */
  frames: number;
  /** Chunks whose choices[0].delta carried non-empty content. */
  contentChunks: number;
  text: string;
  /** The last frame was `data: [DONE]`. */
  done: boolean;
  /** A frame with a top-level `error` object (its code, or 'unknown'). */
  error: string | null;
  /** A chunk with empty choices and a `usage` object (sent only when the client asked for include_usage). */
  usageChunk: boolean;
  /** Frames whose data was neither JSON nor [DONE]. */
  malformed: number;
}

export function checkChatStream(body: string): StreamCheck {
  const check: StreamCheck = {
    frames: 0,
    contentChunks: 0,
    text: '',
    done: false,
    error: null,
    usageChunk: false,
    malformed: 0,
  };
  // SSE frames are separated by a blank line; a frame's data is the concatenation of its data: lines.
  for (const frame of body.replaceAll('\r\n', '\n').split('\n\n')) {
    const data = frame
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data === '') continue;
    check.frames++;
    check.done = data === '[DONE]';
    if (check.done) continue;
    let json: {
      error?: { code?: unknown };
      choices?: Array<{ delta?: { content?: unknown } }>;
      usage?: unknown;
    };
    try {
      json = JSON.parse(data);
    } catch {
      check.malformed++;
      continue;
    }
    if (json.error && typeof json.error === 'object') {
      check.error = typeof json.error.code === 'string' ? json.error.code : 'unknown';
      continue;
    }
    const content = json.choices?.[0]?.delta?.content;
    if (typeof content === 'string' && content !== '') {
      check.contentChunks++;
      check.text += content;
    }
    if (Array.isArray(json.choices) && json.choices.length === 0 && json.usage) check.usageChunk = true;
  }
  return check;
}

/** A stream the client received whole: ended with [DONE], no error frame, nothing malformed, the content expected. */
export function fullyReceived(check: StreamCheck, expectedText: string): boolean {
  return check.done && check.error === null && check.malformed === 0 && check.text === expectedText;
}
