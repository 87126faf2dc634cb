import { DAY, HOUR } from '../../../sidecar/src/clock';
import { applyFlowsFile, defaultFlows, FlowsFileError } from '../../../sidecar/src/flows/definitions';

describe('RETAIN_FLOWS_FILE', () => {
  it('overrides delays, settings and on/off, and bumps the flow version', () => {
    const flows = applyFlowsFile('{"flows":{"welcome":{"enabled":false,"steps":[{"delay":0},{"delay":"36h"}],"settings":{"discount_code":"HELLO"}}}}');
    const welcome = flows.find((f) => f.id === 'welcome')!;
    expect(welcome.enabled).toBe(false);
    expect(welcome.version).toBe(defaultFlows[0]!.version + 1);
    expect(welcome.steps).toEqual([
      { template: 'flows/welcome/1', delayMs: 0 },
      { template: 'flows/welcome/2', delayMs: 36 * HOUR },
    ]);
    expect(welcome.settings.discount_code).toBe('HELLO');
  });

  it('leaves flows it does not name as they are', () => {
    expect(applyFlowsFile('flows: {}')).toEqual(defaultFlows);
    expect(defaultFlows[0]!.steps[1]!.delayMs).toBe(3 * DAY);
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
