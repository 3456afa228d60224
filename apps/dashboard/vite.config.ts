import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// The server serves dist/ behind a strict CSP (script-src 'self', style-src 'self'), so the build
// must not emit any inline script or style: no module-preload polyfill (Vite would inline it).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev --workspace apps/dashboard` proxies the API to a locally running server.
    proxy: { '/v1': 'http://127.0.0.1:8787' },
  },
});
