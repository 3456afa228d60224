// Preloaded (node --import) into a server process whose clock must be off by SG_TEST_CLOCK_OFFSET_MS: a machine with
// a skewed clock. Only Date.now moves (the engine takes every decision's `now` from it); timers are unaffected.
const offset = Number(process.env.SG_TEST_CLOCK_OFFSET_MS ?? 0);
if (offset !== 0) {
  const realNow = Date.now;
  Date.now = () => realNow() + offset;
}
