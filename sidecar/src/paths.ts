import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The project root (where package.json and templates/ live), found by walking up from this file,
 * so the same code runs from `sidecar/src` under tsx and from `dist/sidecar/src` when built.
 */
export const PROJECT_ROOT: string = (() => {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'templates'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
})();

export const TEMPLATES_DIR = path.join(PROJECT_ROOT, 'templates');

export const VERSION: string = (() => {
  try {
    return String(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version);
  } catch {
    return 'unknown';
  }
})();
