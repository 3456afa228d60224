// Generated from package.json by scripts/build.mjs (run by `npm run build` / `npm pack`); do not edit.
// test/package.test.ts fails if it disagrees with package.json.
export const VERSION = '0.1.0';
