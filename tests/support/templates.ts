import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultFlows } from '../../sidecar/src/flows/definitions';
import { TEMPLATES_DIR } from '../../sidecar/src/paths';

let dir: string | null = null;

/**
 * The real templates, plus a minimal stand-in (on the real layout) for any flow step whose
 * template does not exist yet, so flow-timing tests do not depend on copy being written.
 */
export function testTemplatesDir(): string {
  if (dir) return dir;
  dir = mkdtempSync(path.join(tmpdir(), 'retain-templates-'));
  cpSync(TEMPLATES_DIR, dir, { recursive: true });
  for (const flow of defaultFlows) {
    for (const step of flow.steps) {
      const file = path.join(dir, `${step.template}.liquid`);
      if (existsSync(file)) continue;
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, `---\nsubject: "${flow.name} ({{ flow.step }})"\npreheader: "${flow.name}"\n---\n{% layout 'layouts/base' %}{% block content %}<p>${flow.name}, step {{ flow.step }}.</p>{% endblock %}\n`);
    }
  }
  return dir;
}
