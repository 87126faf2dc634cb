import { htmlToText, wrap } from '../../../sidecar/src/render/text-part';

describe('the plain-text part', () => {
  it('leaves out the head, the preheader, images and image-only links', () => {
    const text = htmlToText(
      '<html><head><title>Hi</title><style>p{color:red}</style></head><body>' +
        '<div class="preheader">hidden preview&#8199;&#847;</div>' +
        '<a class="text-skip" href="https://shop.test/p"><img src="https://shop.test/i.png" alt="A teapot"></a>' +
        '<p>Hello</p></body></html>',
    );
    expect(text).toBe('Hello');
  });

  it('separates blocks by one empty line and keeps a line break as one', () => {
    expect(htmlToText('<h1>Title</h1><p>One<br>Two</p><div>Three</div><div>Four</div>')).toBe('Title\n\nOne\nTwo\n\nThree\nFour');
  });

  it('prints a link as its text and address, unless they are the same or it is a page anchor', () => {
    expect(htmlToText('<p><a href="https://shop.test/cart">Your cart</a></p>')).toBe('Your cart [https://shop.test/cart]');
    expect(htmlToText('<p><a href="https://shop.test">https://shop.test</a></p>')).toBe('https://shop.test');
    expect(htmlToText('<p><a href="mailto:help@shop.test">help@shop.test</a></p>')).toBe('help@shop.test');
    expect(htmlToText('<p><a href="#top">Top</a> <a href="javascript:void(0)">x</a></p>')).toBe('Top x');
  });

  it('puts each answer of the feedback question on its own line', () => {
    const text = htmlToText('<p><a class="chip" href="https://r.test/f?a=1">Shipping</a> <a class="chip" href="https://r.test/f?a=2">Price</a></p>');
    expect(text).toBe('Shipping [https://r.test/f?a=1]\nPrice [https://r.test/f?a=2]');
  });

  it('lays out line items as aligned columns, dropping the image column and the item links', () => {
    const html =
      '<table class="items">' +
      '<tr><td class="item-img"><a class="text-skip" href="https://s.test/a"><img src="https://s.test/a.png"></a></td>' +
      '<td><a class="item-link" href="https://s.test/a">Sencha</a><br><span>Qty 1</span></td><td>12,50&nbsp;€</td></tr>' +
      '<tr><td class="item-img"></td><td>Cast-iron teapot</td><td><a href="https://s.test/b#reviews">Review</a></td></tr>' +
      '</table><p>After</p>';
    expect(htmlToText(html).split('\n')).toEqual([
      'Sencha             12,50\u00a0€',
      'Qty 1',
      'Cast-iron teapot   Review',
      '                   [https://s.test/b#reviews]',
      '',
      'After',
    ]);
  });

  it('wraps paragraphs at 78 columns without breaking a long address', () => {
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const lines = htmlToText(`<p>${words}</p>`).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(78);
    const url = `https://shop.test/${'x'.repeat(100)}`;
    expect(wrap(`Go ${url} now`)).toEqual(['Go', url, 'now']);
  });

  it('decodes entities, keeps no-break spaces and right-to-left text as they are', () => {
    expect(htmlToText('<p dir="rtl">סה״כ &amp; ‏147.20&nbsp;€</p>')).toBe('סה״כ & ‏147.20\u00a0€');
  });

  it('lists items with a bullet', () => {
    expect(htmlToText('<p>Tips:</p><ul><li>One</li><li>Two</li></ul>')).toBe('Tips:\n\n* One\n* Two');
  });

  it('reads broken markup without throwing (an admin edited the template)', () => {
    expect(htmlToText('<p>Open <b>bold <a href="https://s.test/x">link</p><table class="items"><tr><td>cell')).toBe('Open bold link [https://s.test/x]\n\ncell');
    expect(htmlToText('')).toBe('');
  });
});
