import path from 'node:path';
import { Parser } from 'htmlparser2';
import { readHtml } from '../../../sidecar/src/render/html-events';
import { createRenderer } from '../../../sidecar/src/render/renderer';
import { sampleCart, sampleContext, sampleSteps, SAMPLE_RECOMMENDATIONS } from '../../../sidecar/src/render/samples';

// The text part reads HTML with html-events.ts instead of htmlparser2 (for speed). These tests hold
// it to htmlparser2's events, on every shipped email and on markup an admin's edit could contain.

type Event = ['open', string, Record<string, string>] | ['text', string] | ['close', string];

/** Adjacent text events merged: the two readers may split a run of text differently. */
function record(read: (events: { onopentag(n: string, a: Record<string, string>): void; ontext(t: string): void; onclosetag(n: string): void }) => void): Event[] {
  const out: Event[] = [];
  read({
    onopentag: (name, attrs) => out.push(['open', name, { ...attrs }]),
    ontext: (text) => {
      const last = out[out.length - 1];
      if (last?.[0] === 'text') last[1] += text;
      else out.push(['text', text]);
    },
    onclosetag: (name) => out.push(['close', name]),
  });
  return out;
}

const ours = (html: string) => record((events) => readHtml(html, events));
const htmlparser2 = (html: string) =>
  record((events) => {
    const parser = new Parser(events, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true });
    parser.write(html);
    parser.end();
  });

const MALFORMED: Record<string, string> = {
  'unclosed elements': '<div><p>one<p>two<ul><li>a<li>b</ul></div><span>open',
  'stray end tags': '</b>text</p><br></br></img><div>x</span></div>',
  'implied table closes': '<table><tr><td>a<td>b<tr><th>c<td>d</table>',
  'upper case and odd spacing': '<DIV CLASS="A"  ID = b  ><A HREF=/x/y?z=1>go</A ></div >',
  'attributes': `<a href="x" href="y" data-x='1>2' hidden title=it's class="c d">t</a><input value="a&amp;b" disabled/>`,
  'self-closing': '<div/><br/><span />after<br / >',
  'comments and declarations': '<!DOCTYPE html><!-- a <b>not</b> --><!--><!---->x<!--[if mso]><table><![endif]--><?php echo 1 ?><![CDATA[ <p> ]]>y',
  'unterminated comment': 'a<!-- never closed <b>x</b>',
  'raw text': '<style>p > a { color: red } </p></style><script>if (a < b) {}</script ><title>A &amp; B</title><textarea>&lt;x&gt;</textarea>',
  'entities': '<p>caf&eacute; &amp;amp &copy &#169; &#x1F600; &notanentity; &lt;&gt; a&b</p><a href="?a=1&amp;b=2&copy=3">l</a>',
  'lone angle brackets': '<p>1 < 2 and 3 > 2, a <3 heart, </ >done</>, </3 bogus>x</ p></p>',
  'unquoted values': '<a href=/x/ title=a&amp;b>1</a><a href=x/>2</a><img src=a.png alt=>',
  'cut-off open tag': '<p>text<a href="x',
  'cut-off close tag': '<p>text</p',
  'whitespace': '<p>\n  a\tb  </p>\n<pre>  x  </pre>',
};

describe('html-events reads HTML as htmlparser2 does', () => {
  it.each(Object.entries(MALFORMED))('%s', (_name, html) => {
    expect(ours(html)).toEqual(htmlparser2(html));
  });

  it('every shipped template in every language', async () => {
    const renderer = createRenderer(path.resolve(__dirname, '../../../templates'));
    const contexts = sampleSteps().flatMap((s) =>
      ['en_US', 'he_IL', 'ar', 'fa_IR', 'sr_RS'].map((l) => ({ name: s.template, context: sampleContext(s.flow, s.step, { locales: [l] }) })),
    );
    contexts.push({ name: 'flows/abandoned_cart/1', context: sampleContext('abandoned_cart', 1, { cart: sampleCart(5), recommendations: SAMPLE_RECOMMENDATIONS.slice(0, 4) }) });
    expect(contexts.length).toBeGreaterThan(50);
    for (const { name, context } of contexts) {
      const { html } = await renderer.render(name, context);
      expect(ours(html)).toEqual(htmlparser2(html));
    }
  });
});
