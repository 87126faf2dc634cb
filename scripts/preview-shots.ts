import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createRenderer } from '../sidecar/src/render/renderer';
import { sampleContext, sampleSteps } from '../sidecar/src/render/samples';

// `npm run preview:shots [-- --lang en,he] [--only abandoned_cart]`: renders every flow step with
// the sample data, in each language, to PNG at 375 px and 800 px in .retain/shots/. Images point
// at the sample shop, which does not exist, so they show as empty boxes.

const ROOT = path.resolve(__dirname, '..');
const LOCALES: Record<string, string> = { en: 'en_US', he: 'he_IL', ar: 'ar', fa: 'fa_IR', sr: 'sr_RS' };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const langs = (arg('lang') ?? 'en,he').split(',');
  const only = arg('only');
  const out = path.join(ROOT, '.retain', 'shots');
  mkdirSync(out, { recursive: true });
  const renderer = createRenderer(path.join(ROOT, 'templates'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    // No network: the sample images and links point at a shop that does not exist.
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    let n = 0;
    for (const s of sampleSteps().filter((x) => !only || x.flow === only)) {
      for (const lang of langs) {
        const email = await renderer.render(s.template, sampleContext(s.flow, s.step, { locales: [LOCALES[lang] ?? lang] }));
        const base = `${s.flow}-${s.step}-${lang}`;
        writeFileSync(path.join(out, `${base}.html`), email.html);
        await page.setContent(email.html, { waitUntil: 'domcontentloaded' });
        for (const width of [375, 800]) {
          await page.setViewportSize({ width, height: 800 });
          await page.screenshot({ path: path.join(out, `${base}-${width}.png`), fullPage: true });
          n++;
        }
      }
    }
    process.stdout.write(`${n} screenshots in ${path.relative(process.cwd(), out)}/\n`);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
