// A response body serialised once. An accepted event's 201 body is stored in PostgreSQL (for replays) and sent to the
// client: as JsonText the same text serves both — the writer stores `text`, and the serializer (validation.ts) sends
// it, after checking it against the route's schema when checking is on — instead of two JSON.stringify of one object.
export class JsonText {
  readonly text: string;
  constructor(value: unknown) {
    this.text = JSON.stringify(value);
  }
  /** Anything else that serialises it (a route without a response schema, a log) still gets the value. */
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

/** The JSON text of a body: a JsonText's own text, else JSON.stringify. */
export const jsonTextOf = (value: unknown): string =>
  value instanceof JsonText ? value.text : (JSON.stringify(value) as string);
