// Browser test of WooCommerce → Retain in headless Chromium, against real WordPress served by
// `php -S` on loopback. The sidecar is $RETAIN_TEST_SIDECAR_URL if given, else the real one
// (npx tsx sidecar/src/main.ts) when it exists, else a small signed stub of /v1/health and
// /v1/admin/status (it checks signatures for real). With the real sidecar it also runs the
// Flows / Templates / Contact lookup tabs and the end-to-end sign-up: [retain_signup] form in
// WordPress → outbox → Action Scheduler → real sidecar → welcome email at the fake Mailgun
// (tests/fake-mailgun.ts, run standalone).
// Env (set by scripts/test-plugin.sh): RETAIN_WP_ROOT, RETAIN_WP_PORT, RETAIN_WP_DB_*.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pw from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const wpRoot = process.env.RETAIN_WP_ROOT;
const port = Number(process.env.RETAIN_WP_PORT || 8931);
const base = `http://127.0.0.1:${port}`;
const SECRET = 'browser-test-secret-0123456789abcdef0123456789';
const children = [];
let failures = 0;
let passes = 0;

function stop(child) {
  try { process.kill(-child.pid, 'SIGTERM'); } catch { try { child.kill('SIGTERM'); } catch { /* gone */ } }
}

function check(ok, label) {
  if (ok) { passes++; console.log(`  ✓ ${label}`); } else { failures++; console.log(`  ✗ ${label}`); }
}

async function waitFor(url, ms = 20000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try { const r = await fetch(url); if (r.status < 500) return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${url}`);
}

function startStub() {
  const verify = (req) => {
    const ts = req.headers['x-retain-timestamp'];
    const sig = req.headers['x-retain-signature'];
    if (!ts || !sig || Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
    const want = Buffer.from(createHmac('sha256', SECRET).update(`${ts}.`).digest('hex'));
    const got = Buffer.from(String(sig));
    return want.length === got.length && timingSafeEqual(want, got);
  };
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.method === 'GET' && req.url === '/v1/health') {
      res.end(JSON.stringify({ status: 'ok', version: 'stub-0.0.0', transport: 'outbox' }));
    } else if (req.method === 'GET' && req.url === '/v1/admin/status') {
      if (!verify(req)) { res.statusCode = 401; res.end(JSON.stringify({ error: { code: 'signature_invalid', message: 'bad' } })); return; }
      res.end(JSON.stringify({ status: 'ok' }));
    } else {
      res.statusCode = 404; res.end(JSON.stringify({ error: { code: 'not_found', message: '' } }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() })));
}

async function signedGet(side, pathname) {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', side.secret).update(`${ts}.`).digest('hex');
  const r = await fetch(`${side.url}${pathname}`, { headers: { 'X-Retain-Timestamp': ts, 'X-Retain-Signature': sig } });
  return { status: r.status, body: await r.json().catch(() => null) };
}

function wpRun(...args) {
  return execFileSync('php', [path.join(here, 'wp-run.php'), wpRoot, ...args], {
    env: { ...process.env, RETAIN_WP_HOME: base, RETAIN_WP_DEBUG: '0' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

async function startFakeMailgun(fakePort) {
  const child = spawn('npx', ['tsx', 'tests/fake-mailgun.ts', '--port', String(fakePort)], {
    cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, MAILGUN_API_KEY: 'key-test-fake' },
  });
  children.push(child);
  const out = { text: '' };
  child.stdout.on('data', (d) => { out.text += d; });
  child.stderr.on('data', (d) => { out.text += d; });
  const until = Date.now() + 30000;
  while (!/fake Mailgun on/.test(out.text)) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`the fake Mailgun did not start:\n${out.text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `http://127.0.0.1:${fakePort}`, out };
}

async function sidecar() {
  if (process.env.RETAIN_TEST_SIDECAR_URL) {
    return { url: process.env.RETAIN_TEST_SIDECAR_URL, kind: 'given', secret: process.env.RETAIN_TEST_SIDECAR_SECRET || SECRET, close() {} };
  }
  if (existsSync(path.join(repo, 'sidecar/src/main.ts')) && process.env.RETAIN_TEST_USE_STUB !== '1') {
    const sidecarPort = port + 1;
    // The sidecar reads WooCommerce's tables, which the stand-in does not create: it gets a small
    // generated shop of its own (WooCommerce's real table layout) in a database beside WordPress's.
    const db = `mysql://${process.env.RETAIN_WP_DB_USER}:${process.env.RETAIN_WP_DB_PASSWORD}@${process.env.RETAIN_WP_DB_HOST}/${process.env.RETAIN_WP_DB_NAME}_shop`;
    execFileSync('npx', ['tsx', 'scripts/gen-shop.ts', '--db', db, '--force', '--customers', '10', '--orders', '20', '--products', '5', '--quiet'], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
    const url = `http://127.0.0.1:${sidecarPort}`;
    const mailgun = await startFakeMailgun(port + 2);
    const child = spawn('npx', ['tsx', 'sidecar/src/main.ts'], {
      cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], detached: true, // own process group: npx → tsx → node all stop together
      env: { ...process.env, PORT: String(sidecarPort), HOST: '127.0.0.1', RETAIN_SECRET: SECRET, RETAIN_SHOP_DB_URL: db, RETAIN_PUBLIC_URL: url, LOG_LEVEL: 'warn',
        MAILGUN_API_KEY: 'key-test-fake', MAILGUN_DOMAIN: 'mg.test', MAILGUN_URL: mailgun.url,
        // These run at real time: no quiet hours or caps holding the welcome email back.
        RETAIN_QUIET_HOURS: 'off', RETAIN_FREQUENCY_CAP: 'off', RETAIN_POLL_SECONDS: '1' },
    });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    children.push(child);
    try {
      await waitFor(`${url}/v1/health`, 30000);
      return { url, kind: 'real', secret: SECRET, mailgun, close() {} };
    } catch {
      stop(child);
      // A sidecar that cannot start is a failure here, never a reason to test a stand-in.
      throw new Error(`the real sidecar did not start:\n${err.split('\n').slice(0, 8).join('\n')}`);
    }
  }
  const stub = await startStub();
  return { ...stub, kind: 'stub', secret: SECRET };
}

async function sidecarTabs(browser, page, side) {
  const tab = (name) => `${base}/wp-admin/admin.php?page=retain&tab=${name}`;

  // Flows: every flow from the sidecar, with its steps; switching one off is saved by the sidecar.
  await page.goto(tab('flows'));
  check(await page.locator('form.retain-flow').count() >= 5, `the Flows tab lists the sidecar's flows (${await page.locator('form.retain-flow').count()})`);
  const cart = page.locator('#retain-flow-abandoned_cart');
  // The sidecar's own tables outlive a run: start from "on" whatever an earlier run left.
  if (!(await cart.locator('.retain-flow-enabled').isChecked())) {
    await cart.locator('.retain-flow-enabled').check();
    await Promise.all([page.waitForNavigation(), cart.locator('#retain-save-flow-abandoned_cart').click()]);
  }
  check(await cart.locator('.retain-flow-enabled').isChecked(), 'abandoned cart is switched on');
  const firstDelay = await cart.locator('input[name="steps[0][delay]"]').inputValue();
  check(firstDelay !== '', `… with its first step's delay shown (${firstDelay} ${await cart.locator('select[name="steps[0][unit]"]').inputValue()})`);
  await cart.locator('.retain-flow-enabled').uncheck();
  await Promise.all([page.waitForNavigation(), cart.locator('#retain-save-flow-abandoned_cart').click()]);
  const saved = await page.locator('.retain-flow-result').innerText().catch(() => '');
  check(/saved/.test(saved) && /already in this flow/.test(saved), "saving shows the sidecar's note about contacts already in the flow");
  const listed = await signedGet(side, '/v1/admin/flows');
  check(listed.body?.flows?.find((f) => f.id === 'abandoned_cart')?.enabled === false, 'the sidecar now has abandoned cart switched off');
  await page.goto(tab('flows'));
  check(!(await page.locator('#retain-flow-abandoned_cart .retain-flow-enabled').isChecked()), '… and the reloaded Flows tab shows it off');
  // A delay the sidecar cannot take never leaves WordPress; the error is shown.
  await page.locator('#retain-flow-abandoned_cart input[name="steps[0][delay]"]').evaluate((el) => { el.type = 'text'; el.value = 'soon'; });
  await Promise.all([page.waitForNavigation(), page.locator('#retain-save-flow-abandoned_cart').click()]);
  check(await page.locator('.retain-sidecar-error', { hasText: 'delay_invalid' }).count() === 1, 'an invalid delay is refused with its code');
  await page.locator('#retain-flow-abandoned_cart .retain-flow-enabled').check();
  await Promise.all([page.waitForNavigation(), page.locator('#retain-save-flow-abandoned_cart').click()]);
  check((await signedGet(side, '/v1/admin/flows')).body?.flows?.find((f) => f.id === 'abandoned_cart')?.enabled === true, 'switching it back on is saved too');
  // The discount is editable: the third reminder's coupon validity and type reach the sidecar.
  const couponStep = () => signedGet(side, '/v1/admin/flows').then((r) => r.body?.flows?.find((f) => f.id === 'abandoned_cart')?.steps?.[2]?.coupon);
  const before = await couponStep();
  const cartForm = page.locator('#retain-flow-abandoned_cart');
  const setCoupon = async (c) => {
    await cartForm.locator('input[name="steps[2][coupon_amount]"]').fill(String(c.amount));
    await cartForm.locator('select[name="steps[2][coupon_type]"]').selectOption(c.type);
    await cartForm.locator('input[name="steps[2][coupon_expires]"]').fill(String(c.expires_in_days));
    await Promise.all([page.waitForNavigation(), cartForm.locator('#retain-save-flow-abandoned_cart').click()]);
  };
  await setCoupon({ amount: '4.50', type: 'fixed_cart', expires_in_days: 3 });
  const after = await couponStep();
  check(after?.type === 'fixed_cart' && after?.amount === '4.50' && after?.expires_in_days === 3, `a coupon's type, amount and validity are saved by the sidecar (${JSON.stringify(after)})`);
  if (before) await setCoupon(before);

  // Templates: the sidecar's HTML in a sandboxed iframe, then a test send to the fake Mailgun.
  await page.goto(tab('templates'));
  await page.selectOption('#retain_template_target', 'welcome:1');
  await Promise.all([page.waitForNavigation(), page.click('#retain-preview')]);
  const frame = page.locator('iframe.retain-preview-frame');
  check(await frame.count() === 1 && await frame.getAttribute('sandbox') === '', 'Preview renders into an iframe with sandbox=""');
  check(((await frame.getAttribute('srcdoc')) || '').includes('<html'), '… from srcdoc holding the sidecar\'s HTML');
  const subject = (await page.locator('.retain-preview-subject').innerText()).trim();
  check(subject.length > 0, `… with the subject (${subject})`);
  await page.fill('#retain_test_to', 'owner@example.org');
  await Promise.all([page.waitForNavigation(), page.click('#retain-send-test')]);
  const sent = await page.locator('.retain-test-send-result').innerText().catch(async () => page.locator('.retain-sidecar-error').innerText().catch(() => ''));
  check(/Test e-mail sent to owner@example.org/.test(sent), `"Send test" reaches the mail provider (${sent.replace(/\s+/g, ' ').trim()})`);
  await templateEditor(page, tab);

  // End to end: a visitor signs up through [retain_signup]; the welcome email reaches the fake Mailgun.
  const pageUrl = wpRun('signup-page');
  const email = `e2e-${Date.now()}@example.net`;
  const visitor = await browser.newContext();
  const vp = await visitor.newPage();
  vp.setDefaultTimeout(15000);
  await vp.goto(pageUrl);
  await vp.fill('#retain_signup_email', email);
  await vp.check('#retain_signup_consent');
  await Promise.all([vp.waitForNavigation(), vp.click('form.retain-signup button[type="submit"]')]);
  check(vp.url().includes('retain_signup=ok'), 'the sign-up form thanks the visitor');
  await visitor.close();
  const ran = Number(wpRun('run-actions'));
  check(ran >= 1, `the outbox is delivered by the Action Scheduler runner (${ran} actions)`);
  const until = Date.now() + 30000;
  let timeline = null;
  while (Date.now() < until) {
    const t = await signedGet(side, `/v1/contacts/${encodeURIComponent(email)}/timeline`);
    if (t.status === 200 && t.body.timeline.some((e) => e.kind === 'submitted' && e.flow === 'welcome')) { timeline = t.body.timeline; break; }
    await new Promise((r) => setTimeout(r, 300));
  }
  const submitted = timeline?.find((e) => e.kind === 'submitted' && e.flow === 'welcome');
  check(Boolean(submitted?.detail?.message_id), `the welcome email was accepted by the fake Mailgun (${submitted?.detail?.message_id ?? 'nothing after 30 s'})`);
  const status = await signedGet(side, '/v1/admin/status');
  console.log(`    sidecar messages: ${JSON.stringify(status.body?.messages)}`);
  // The fake itself reports what it accepted every 10 s: the test email and the welcome email.
  const fakeCount = (async () => {
    const by = Date.now() + 12000;
    while (Date.now() < by) {
      const counts = [...side.mailgun.out.text.matchAll(/messages: (\d+)/g)].map((m) => Number(m[1]));
      if (counts.length && counts[counts.length - 1] >= 2) return counts[counts.length - 1];
      await new Promise((r) => setTimeout(r, 250));
    }
    return null;
  })();

  // Contact lookup: that contact's timeline, through WordPress.
  await page.goto(tab('contacts'));
  await page.fill('#retain_lookup_email', email);
  await Promise.all([page.waitForNavigation(), page.click('#retain-lookup')]);
  check(await page.locator('table.retain-timeline tr.retain-timeline-submitted').count() >= 1, 'Contact lookup shows the submitted welcome email');
  check(await page.locator('table.retain-timeline tr.retain-timeline-enrolled', { hasText: 'welcome' }).count() === 1, '… and the enrolment in the welcome flow');
  await page.fill('#retain_lookup_email', 'nobody-here@example.net');
  await Promise.all([page.waitForNavigation(), page.click('#retain-lookup')]);
  check(await page.locator('.retain-contact-missing').count() === 1, 'an unknown address is reported as such');
  const forgedFlow = await page.request.post(`${base}/wp-admin/admin-post.php`, { form: { action: 'retain_save_flow', flow: 'welcome' }, maxRedirects: 0 });
  check(forgedFlow.status() === 403, 'a flow save without a nonce is refused');
  check((await signedGet(side, '/v1/admin/flows')).body?.flows?.find((f) => f.id === 'welcome')?.enabled === true, '… and the welcome flow is still on');
  const accepted = await fakeCount;
  check(accepted !== null, `the fake Mailgun holds the test and welcome emails (messages: ${accepted})`);
  await reportsTab(page, tab);
}

// The template editor on win_back step 1 (not the welcome email the end-to-end test expects):
// edit the subject, save, preview shows it; a Liquid syntax error is reported with its line and
// column and the text stays in the editor; restore the default.
async function templateEditor(page, tab) {
  const started = Date.now();
  const open = `${tab('templates')}&target=win_back:1`;
  const status = () => page.locator('.retain-template-status').getAttribute('data-state');
  const restore = async () => {
    page.once('dialog', (d) => d.accept());
    await Promise.all([page.waitForNavigation(), page.click('#retain-template-restore')]);
  };
  await page.goto(open);
  if (await status() === 'edited') await restore(); // The sidecar's tables outlive a run.
  const original = await page.inputValue('#retain_template_subject');
  check(await status() === 'default' && original.includes('win_back.1.subject'), `choosing a step shows its editor, default (${original})`);
  check(await page.getAttribute('#retain_template_body', 'dir') === 'ltr' && (await page.inputValue('#retain_template_body')).includes("{% layout 'layouts/base' %}"), '… with the Liquid body in a left-to-right textarea');
  const subject = `Browser edit ${Date.now()} for {{ customer.first_name | default: 'you' }}`;
  await page.fill('#retain_template_subject', subject);
  await Promise.all([page.waitForNavigation(), page.click('#retain-template-save')]);
  check(await page.locator('.retain-template-result').count() === 1 && await status() === 'edited', 'saving the edited subject is accepted and the step is marked edited');
  check(await page.inputValue('#retain_template_subject') === subject, '… and the reloaded editor holds the saved subject');
  await Promise.all([page.waitForNavigation(), page.click('#retain-preview')]);
  const previewed = (await page.locator('.retain-preview-subject').innerText().catch(() => '')).trim();
  check(previewed.startsWith('Browser edit ') && !previewed.includes('{{') && await page.locator('iframe.retain-preview-frame[sandbox=""]').count() === 1, `Preview shows the new subject rendered (${previewed})`);
  const body = await page.inputValue('#retain_template_body');
  const broken = body.replace('{% endblock %}', '{% if customer %}<p>never closed</p>\n{% endblock %}');
  await page.fill('#retain_template_body', broken);
  await Promise.all([page.waitForNavigation(), page.click('#retain-template-save')]);
  const problem = (await page.locator('.retain-template-problem').first().innerText().catch(() => '')).replace(/\s+/g, ' ');
  check(/line \d+, column \d+/.test(problem), `a Liquid syntax error is refused with its line and column (${problem})`);
  check((await page.inputValue('#retain_template_body')).replace(/\r\n/g, '\n') === broken.replace(/\r\n/g, '\n') && await page.inputValue('#retain_template_subject') === subject, '… and the admin\'s text is still in the editor');
  await page.goto(open);
  check(await page.inputValue('#retain_template_subject') === subject, '… and nothing was saved');
  await restore();
  check(await page.locator('.retain-template-result').count() === 1 && await status() === 'default' && await page.inputValue('#retain_template_subject') === original, 'Restore default (confirmed) brings the shipped template back');
  console.log(`    template editor checks took ${Date.now() - started} ms`);
}

// Reports: the welcome email submitted above is in the sidecar's report (a range around today in
// UTC, since the generated shop's time zone need not be WordPress's), then the same pages in RTL.
async function reportsTab(page, tab) {
  const started = Date.now();
  const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
  const reports = `${tab('reports')}&from=${day(-2)}&to=${day(1)}`;
  await page.goto(reports);
  const chart = page.locator('figure.retain-chart svg.retain-chart-svg');
  check(await chart.count() === 1 && await chart.isVisible(), 'the Reports tab draws the chart from the sidecar\'s report');
  const welcome = page.locator('table.retain-report-steps tr[data-flow="welcome"][data-step="1"]');
  const submitted = Number((await welcome.locator('td.retain-col-submitted').innerText().catch(() => '0')).replace(/\D/g, ''));
  const name = await welcome.locator('th').innerText().catch(() => '');
  check(submitted >= 1 && name === 'Welcome series', `… and the per-step table has the welcome email (${name}: submitted ${submitted})`);
  const ys = ((await page.locator('polyline.retain-chart-submitted').getAttribute('points')) || '').split(' ').map((p) => Number(p.split(',')[1]));
  check(ys.length === 4 && Math.min(...ys) < Math.max(...ys), '… and the submitted line rises on its day (4 days, one point each)');
  await page.fill('#retain_report_from', '2020-01-01');
  await page.fill('#retain_report_to', '2020-01-31');
  await Promise.all([page.waitForNavigation(), page.click('#retain-report-show')]);
  check(await page.locator('.retain-report-empty').count() === 1 && await page.locator('.retain-sidecar-error').count() === 0
    && ((await page.locator('polyline.retain-chart-submitted').getAttribute('points')) || '').split(' ').length === 31, 'a range with nothing in it draws an empty month and says so');

  // RTL: the admin's own language is Hebrew; tests/plugin/stand-in/rtl-admin.php makes wp-admin RTL
  // for it, as the language pack would.
  wpRun('user-locale', 'admin', 'he_IL');
  try {
    await page.goto(reports);
    const rtl = await page.evaluate(() => ({ dir: document.documentElement.dir, body: document.body.classList.contains('rtl') }));
    check(rtl.dir === 'rtl' && rtl.body, `in a right-to-left admin language the page is dir="rtl" with the rtl body class (${JSON.stringify(rtl)})`);
    const table = page.locator('table.retain-report-steps');
    check(await chart.isVisible() && await table.isVisible(), 'the chart and the per-step table render in RTL');
    const heads = table.locator('thead th');
    const [first, second] = [await heads.nth(0).boundingBox(), await heads.nth(1).boundingBox()];
    const align = await heads.nth(0).evaluate((el) => getComputedStyle(el).textAlign);
    check(first.x > second.x && ['right', 'start'].includes(align), `… the table runs right to left, text aligned right (${align})`);
    const xs = ((await page.locator('polyline.retain-chart-submitted').getAttribute('points')) || '').split(' ').map((p) => Number(p.split(',')[0]));
    check(xs.length > 1 && xs[0] > xs[xs.length - 1], '… and the chart\'s time runs right to left');
    const shots = path.join(repo, '.retain/shots');
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'reports-rtl.png'), fullPage: true });
    await page.goto(tab('flows'));
    const flow = page.locator('#retain-flow-abandoned_cart');
    const fh = flow.locator('table.retain-flow-steps thead th');
    const [f1, f2] = [await fh.nth(0).boundingBox(), await fh.nth(1).boundingBox()];
    check(await page.evaluate(() => document.documentElement.dir) === 'rtl' && await flow.isVisible() && f1.x > f2.x, 'the Flows tab renders right to left too');
    await page.screenshot({ path: path.join(shots, 'flows-rtl.png'), fullPage: true });
    // The template editor: the page runs right to left, the Liquid body stays left to right (code).
    await page.goto(`${tab('templates')}&target=win_back:1`);
    const dirs = await page.evaluate(() => ({ page: document.documentElement.dir, body: getComputedStyle(document.getElementById('retain_template_body')).direction, subject: document.getElementById('retain_template_subject').dir }));
    check(dirs.page === 'rtl' && dirs.body === 'ltr' && dirs.subject === 'auto', `in RTL the template body stays left to right, the subject follows its text (${JSON.stringify(dirs)})`);
    await page.screenshot({ path: path.join(shots, 'templates-rtl.png'), fullPage: true });
    console.log(`    screenshots: ${shots}/reports-rtl.png, flows-rtl.png, templates-rtl.png; Reports and RTL checks took ${Date.now() - started} ms`);
  } finally {
    wpRun('user-locale', 'admin', '');
  }
}

async function main() {
  const side = await sidecar();
  console.log(`browser: WordPress ${base}, sidecar ${side.url} (${side.kind})`);
  const php = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', wpRoot, path.join(here, 'router.php')], {
    detached: true,
    env: { ...process.env, RETAIN_WP_HOME: base }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(php);
  let phpLog = '';
  php.stderr.on('data', (d) => { phpLog += d; });
  await waitFor(`${base}/wp-login.php`);

  const browser = await pw.chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(15000);
    await page.goto(`${base}/wp-login.php`);
    await page.fill('#user_login', 'admin');
    await page.fill('#user_pass', 'password');
    await Promise.all([page.waitForNavigation(), page.click('#wp-submit')]);
    check(page.url().includes('/wp-admin'), 'logged into wp-admin');

    const settings = `${base}/wp-admin/admin.php?page=retain&tab=connection`;
    await page.goto(settings);
    check(await page.locator('h1', { hasText: 'Retain' }).count() === 1, 'WooCommerce → Retain page renders');
    check(await page.getAttribute('#retain_secret', 'type') === 'password', 'the secret field is a password field');

    await page.fill('#retain_sidecar_url', side.url);
    await page.fill('#retain_secret', side.secret);
    await Promise.all([page.waitForNavigation(), page.click('#retain-save')]);
    check(await page.locator('.notice-success', { hasText: 'Settings saved.' }).count() === 1, 'settings saved');
    check(await page.inputValue('#retain_sidecar_url') === side.url, 'the sidecar URL is kept');
    check(await page.inputValue('#retain_secret') === '' && !(await page.content()).includes(side.secret), 'the secret is never echoed back into the page');

    await Promise.all([page.waitForNavigation(), page.click('#retain-test-connection')]);
    const result = await page.locator('.retain-test-result').innerText();
    console.log(`    result: ${result.replace(/\s+/g, ' ')}`);
    check(/Connected/.test(result) && /status: ok/.test(result), '"Test connection" shows the sidecar status');
    check(side.kind !== 'stub' || /version stub-0\.0\.0, transport outbox/.test(result), '… and its version and transport');
    check(/shared secret matches/.test(result), '… and that the shared secret matches (signed call)');

    // A wrong secret is reported as such.
    await page.fill('#retain_secret', 'not-the-secret');
    await Promise.all([page.waitForNavigation(), page.click('#retain-save')]);
    await Promise.all([page.waitForNavigation(), page.click('#retain-test-connection')]);
    check(/secret differs/.test(await page.locator('.retain-test-result').innerText()), 'a wrong secret is reported');

    // A forged POST (the admin's own cookies, no nonce) changes nothing.
    const forged = await page.request.post(`${base}/wp-admin/admin-post.php`, {
      form: { action: 'retain_save_settings', tab: 'connection', sidecar_url: 'http://evil.example', secret: 'evil' },
      maxRedirects: 0,
    });
    check(forged.status() === 403, `a forged POST without a nonce is refused (HTTP ${forged.status()})`);
    const forgedTest = await page.request.post(`${base}/wp-admin/admin-post.php`, { form: { action: 'retain_test_connection' }, maxRedirects: 0 });
    check(forgedTest.status() === 403, 'a forged "test connection" without a nonce is refused');
    await page.goto(settings);
    check(await page.inputValue('#retain_sidecar_url') === side.url, 'the forged POST did not change the URL');

    // A logged-out visitor with a valid-looking form gets nowhere either.
    const anon = await browser.newContext();
    const anonPost = await anon.request.post(`${base}/wp-admin/admin-post.php`, { form: { action: 'retain_save_settings', sidecar_url: 'http://evil.example' }, maxRedirects: 0 });
    check(anonPost.status() !== 200 || !(await anonPost.text()).includes('Settings saved'), 'a logged-out POST changes nothing');
    await anon.close();
    await page.goto(settings);
    check(await page.inputValue('#retain_sidecar_url') === side.url, 'the URL is still ours');

    // Right-to-left admin still renders the page (WordPress core styles flip it).
    await page.goto(`${settings}&tab=outbox`);
    check(await page.locator('.nav-tab-active', { hasText: 'Delivery' }).count() === 1, 'the Delivery tab renders');

    // Back to the right secret for the tabs that talk to the sidecar.
    await page.goto(settings);
    await page.fill('#retain_secret', side.secret);
    await Promise.all([page.waitForNavigation(), page.click('#retain-save')]);
    if (side.kind === 'real') await sidecarTabs(browser, page, side);
  } finally {
    await browser.close();
    side.close();
    for (const c of children) stop(c);
  }
  if (/PHP (Fatal|Parse) error/.test(phpLog)) { failures++; console.log(phpLog); }
  console.log(`browser: ${passes} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}

main().catch((e) => { console.error(e); for (const c of children) stop(c); process.exit(1); });
