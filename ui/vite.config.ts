import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri serves `dist/` from its own protocol: relative asset paths, nothing from the network.
// Two pages: the app's window (index.html) and the admin console (admin.html), which the
// workspace serves at /admin from the same dist/.
export default defineConfig({
  plugins: [svelte()],
  base: './',
  clearScreen: false,
  server: { port: 1420, strictPort: true, host: '127.0.0.1' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebView2 (Chromium), WKWebView (Safari 15+) and WebKitGTK 2.36+.
    target: ['chrome105', 'safari15'],
    sourcemap: false,
    reportCompressedSize: false,
    rollupOptions: { input: { app: 'index.html', admin: 'admin.html' } },
  },
  // Svelte's client runtime in unit tests, so runes behave as in the window.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
