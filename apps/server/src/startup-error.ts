// A start-up failure an operator can act on (a store unreachable, a port or data dir in use): main.ts prints its
// message as one line, without a stack trace or an error code in front.
export class StartupError extends Error {
  override name = 'StartupError';
}
