import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The server `npm run dev:web` proxies /api to (start it with `npm start`; HTTP_PORT if not 8080). */
const apiTarget = process.env.API_TARGET ?? `http://127.0.0.1:${process.env.HTTP_PORT ?? '8080'}`;

// The dashboard: built into dist/web, which the server serves (src/api/static-routes.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Small enough without: keeps the build quick on two cores.
    reportCompressedSize: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': {
        target: apiTarget,
        changeOrigin: true,
        // The API refuses state-changing cookie requests from another origin (CSRF): through the dev
        // proxy the page's origin is Vite's, so it is presented as the API's own.
        configure: (proxy) => {
          proxy.on('proxyReq', (request) => {
            if (request.getHeader('origin') !== undefined) request.setHeader('origin', apiTarget);
          });
        },
      },
    },
  },
});
