import { DAY, HOUR } from '../../../sidecar/src/clock';
import { applyFlowsFile, defaultFlows, FlowsFileError } from '../../../sidecar/src/flows/definitions';

describe('RETAIN_FLOWS_FILE', () => {
  it('overrides delays, settings and on/off, and bumps the flow version', () => {
    const flows = applyFlowsFile('{"flows":{"welcome":{"enabled":false,"steps":[{"delay":0},{"delay":"36h"}],"settings":{"discount_code":"HELLO"}}}}');
    const welcome = flows.find((f) => f.id === 'welcome')!;
    expect(welcome.enabled).toBe(false);
    expect(welcome.version).toBe(defaultFlows[0]!.version + 1);
    expect(welcome.steps).toEqual([
      { template: 'flows/welcome/1', delayMs: 0, coupon: null },
      { template: 'flows/welcome/2', delayMs: 36 * HOUR, coupon: null },
    ]);
    expect(welcome.settings.discount_code).toBe('HELLO');
  });

  it('changes a step\'s coupon, keeps it when not named, and removes it with null', () => {
    const flows = applyFlowsFile(`flows:
  abandoned_cart:
    steps:
      - delay: 2h
      - delay: 1d
        coupon: { type: fixed_cart, amount: 5, expires_in_days: 3 }
      - delay: 3d
        coupon: null
`);
    const cart = flows.find((f) => f.id === 'abandoned_cart')!;
    expect(cart.steps.map((s) => [s.delayMs, s.coupon])).toEqual([
      [2 * HOUR, null],
      [DAY, { type: 'fixed_cart', amount: '5', expiresInDays: 3, freeShipping: false }],
      [3 * DAY, null],
    ]);
    const defaults = defaultFlows.find((f) => f.id === 'abandoned_cart')!;
    expect(defaults.steps[2]!.coupon).toEqual({ type: 'percent', amount: '10', expiresInDays: 7, freeShipping: false });
  });

  it('leaves flows it does not name as they are', () => {
    expect(applyFlowsFile('flows: {}')).toEqual(defaultFlows);
    expect(defaultFlows.find((f) => f.id === 'welcome')!.steps[1]!.delayMs).toBe(3 * DAY);
  });

  it.each([
    ['not YAML', 'flows: [unclosed', /not JSON or YAML/],
    ['an unknown flow', 'flows:\n  welcom: {}', /flows\.welcom: no such flow/],
    ['a bad duration', 'flows:\n  welcome:\n    steps:\n      - delay: soon', /a duration such as/],
    ['an unknown key', 'flows:\n  welcome:\n    enable: true', /enable/],
  ])('refuses %s with the path of the problem', (_name, text, message) => {
    expect(() => applyFlowsFile(text)).toThrow(FlowsFileError);
    expect(() => applyFlowsFile(text)).toThrow(message);
  });
});
