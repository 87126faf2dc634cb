import { ConfigError, loadConfig } from '../../sidecar/src/config';

const valid = {
  RETAIN_SHOP_DB_URL: 'mysql://u:p@db:3306/shop',
  RETAIN_SECRET: 'x'.repeat(40),
  RETAIN_PUBLIC_URL: 'https://retain.example.com/',
};

describe('loadConfig', () => {
  it('fills defaults and freezes the result', () => {
    const c = loadConfig(valid);
    expect(c).toMatchObject({ stateDbUrl: valid.RETAIN_SHOP_DB_URL, tablePrefix: 'wp_', port: 8787, mailgun: null, publicUrl: 'https://retain.example.com' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every bad key at once', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({ RETAIN_SECRET: 'short', RETAIN_TABLE_PREFIX: 'wp-;', PORT: 'eighty', MAILGUN_API_KEY: 'key', RETAIN_SHOP_DB_URL: 'postgres://x' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = error!.problems.map((p) => p.split(':')[0]).sort();
    expect(keys).toEqual(['MAILGUN_DOMAIN', 'PORT', 'RETAIN_PUBLIC_URL', 'RETAIN_SECRET', 'RETAIN_SHOP_DB_URL', 'RETAIN_TABLE_PREFIX']);
    expect(error!.problems).toContain('RETAIN_PUBLIC_URL: required, not set');
  });

  it('turns Mailgun on only with a key and a domain, defaulting to the US endpoint', () => {
    const c = loadConfig({ ...valid, MAILGUN_API_KEY: 'key-1', MAILGUN_DOMAIN: 'mg.example.com' });
    expect(c.mailgun).toEqual({ apiKey: 'key-1', domain: 'mg.example.com', url: 'https://api.mailgun.net', timeoutMs: 15000 });
  });

  it('treats empty strings as unset (compose files often pass VAR=)', () => {
    expect(loadConfig({ ...valid, MAILGUN_API_KEY: '', RETAIN_STATE_DB_URL: '' }).mailgun).toBeNull();
  });
});
