import path from 'node:path';
import { createRenderer, RenderError } from '../../../sidecar/src/render/renderer';
import { sampleContext } from '../../../sidecar/src/render/samples';

const root = path.resolve(__dirname, '../../../templates');

const context = (over: Record<string, unknown> = {}) =>
  sampleContext('welcome', 1, { reason: 'You are receiving this email because you signed up for news from Brew & Leaf Co.', ...over });

describe('the welcome templates', () => {
  const renderer = createRenderer(root);

  it.each(['flows/welcome/1', 'flows/welcome/2'])('%s renders a complete email', async (name) => {
    const email = await renderer.render(name, context({ flow: { id: 'welcome', step: Number(name.slice(-1)) } }));
    expect(email.subject.length).toBeGreaterThan(5);
    expect(email.preheader.length).toBeGreaterThan(5);
    expect(email.html).toMatch(/^<!DOCTYPE html>/);
    expect(email.html).toContain('href="https://retain.example.test/u/TOKEN"');
    expect(email.html).toContain('Kastanienallee 12, 10435 Berlin, DE');
    expect(email.html).toContain('WELCOME10');
    // Every link is absolute: mail clients have no base URL.
    for (const [, href] of email.html.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^https:\/\//);
    expect(email.html).not.toMatch(/\{\{|\{%/);
    expect(email.text).toContain('https://retain.example.test/u/TOKEN');
    expect(email.text).toContain('WELCOME10');
    expect({ subject: email.subject, preheader: email.preheader, text: email.text }).toMatchSnapshot();
  });

  it('escapes what shoppers typed, in HTML but not in the subject', async () => {
    const email = await renderer.render('flows/welcome/1', context({ customer: { email: 'x@example.com', first_name: '<b>Zoë</b> & co', last_name: '', name: '' } }));
    expect(email.html).toContain('&lt;b&gt;Zoë&lt;/b&gt; &amp; co');
    expect(email.html).not.toContain('<b>Zoë</b>');
    expect(email.subject).toBe('Welcome to Brew & Leaf Co., <b>Zoë</b> & co');
  });

  it('leaves the discount out when there is none', async () => {
    const email = await renderer.render('flows/welcome/1', context({ discount_code: null, discount_text: null }));
    expect(email.html).not.toContain('class="code"');
    expect(email.preheader).toBe('Thanks for joining us. Here is what to expect.');
  });

  it('fails, as a RenderError, on a variable the context lacks (strict variables)', async () => {
    const { unsubscribe_url: _drop, ...partial } = context();
    await expect(renderer.render('flows/welcome/1', partial)).rejects.toBeInstanceOf(RenderError);
  });

  it('refuses a template name that leaves the templates folder', async () => {
    await expect(renderer.render('../package', context())).rejects.toThrow(/leaves the templates folder|not found/);
  });
});
