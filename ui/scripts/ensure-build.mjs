// Builds dist/ unless it is newer than every source it is made from (used by `npm run test:e2e`).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = fileURLToPath(new URL('..', import.meta.url));
const built = join(ui, 'dist', 'index.html');

/**
 * Latest modification time under `path` (a file or a folder).
 * @param {string} path
 * @returns {number}
 */
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((/** @type {number} */ m, name) => Math.max(m, newest(join(path, name))), st.mtimeMs);
}

const sources = ['src', 'index.html', 'admin.html', 'vite.config.ts', 'svelte.config.js', 'package.json', 'package-lock.json', 'tsconfig.json'];
const stale = !existsSync(built) || sources.some((s) => newest(join(ui, s)) > statSync(built).mtimeMs);

if (stale) {
  console.log('dist/ is missing or older than its sources: building');
  const r = spawnSync('npm', ['run', 'build'], { cwd: ui, stdio: 'inherit' });
  process.exit(r.status ?? 1);
} else {
  console.log('dist/ is up to date');
}
