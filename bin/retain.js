#!/usr/bin/env node
// `npx retain …`: runs the built CLI (`npm run build`, what the container ships), unless the
// TypeScript source beside it is newer than the build: then the source, so a stale build never
// hides a change.
const path = require('node:path');
const fs = require('node:fs');
const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'sidecar', 'src', 'cli.js');
const source = path.join(root, 'sidecar', 'src');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

const useBuild = fs.existsSync(built) && (!fs.existsSync(source) || fs.statSync(built).mtimeMs >= newestMtime(source));
if (useBuild) {
  require(built);
} else {
  require('tsx/cjs');
  require(path.join(source, 'cli.ts'));
}
