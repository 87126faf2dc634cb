#!/usr/bin/env node
// `npx retain …`: runs the built CLI when `npm run build` has been run, else the TypeScript source.
const path = require('node:path');
const fs = require('node:fs');
const built = path.join(__dirname, '..', 'dist', 'sidecar', 'src', 'cli.js');
if (fs.existsSync(built)) {
  require(built);
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'sidecar', 'src', 'cli.ts'));
}
