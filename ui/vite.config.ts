import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Tauri serves `dist/` from its own protocol: relative asset paths, nothing from the network.
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
  },
  // Svelte's client runtime in unit tests, so runes behave as in the window.
  resolve: process.env.VITEST ? { conditions: ['browser'] } : undefined,
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
});
