import { defineConfig } from 'vite';

// Preact's JSX through Vite's own transform (no framework plugin): the runtime is ~4 KB
// compressed, where React's is ~45 KB.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022' },
  server: { proxy: { '/api': 'http://127.0.0.1:7700', '/healthz': 'http://127.0.0.1:7700' } },
});
