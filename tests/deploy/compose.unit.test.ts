import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ENV_KEYS } from '../../sidecar/src/config';

// No Docker engine runs here, so the deployment files are checked against what is real: the
// sidecar's config schema, the repository's paths, the Dockerfile and .env.example.
const root = path.resolve(__dirname, '../..');
const compose = YAML.parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'));
const dockerfile = readFileSync(path.join(root, 'sidecar/Dockerfile'), 'utf8');
const envExample = readFileSync(path.join(root, '.env.example'), 'utf8');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const exampleKeys = [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
const COMPOSE_ONLY = ['DB_PASSWORD', 'DB_ROOT_PASSWORD', 'WP_ADMIN_PASSWORD', 'SITE_URL', 'WORDPRESS_PORT', 'RETAIN_PORT'];

describe('docker-compose.yml', () => {
  const services = compose.services as Record<string, Record<string, unknown>>;

  it('has the database, WordPress and the sidecar, each with a health check', () => {
    for (const name of ['db', 'wordpress', 'sidecar']) {
      expect(services[name]).toBeDefined();
      expect((services[name]!.healthcheck as { test: string[] }).test.length).toBeGreaterThan(1);
    }
  });

  it('builds the sidecar from a Dockerfile that exists, with a context that exists', () => {
    const build = services.sidecar!.build as { context: string; dockerfile: string };
    expect(existsSync(path.join(root, build.context, build.dockerfile))).toBe(true);
  });

  it('passes the sidecar only variables it really reads', () => {
    const env = Object.keys(services.sidecar!.environment as Record<string, string>);
    expect(env.filter((k) => !ENV_KEYS.includes(k))).toEqual([]);
    for (const required of ['RETAIN_SHOP_DB_URL', 'RETAIN_SECRET', 'RETAIN_PUBLIC_URL']) expect(env).toContain(required);
  });

  it('publishes the port the sidecar listens on', () => {
    const env = services.sidecar!.environment as Record<string, string>;
    const ports = services.sidecar!.ports as string[];
    expect(ports.map((p) => p.split(':').pop())).toContain(String(env.PORT));
    expect(dockerfile).toMatch(new RegExp(`EXPOSE ${env.PORT}\\b`));
  });

  it('points the plugin at the sidecar service, with the same secret', () => {
    const wp = services.wordpress!.environment as Record<string, string>;
    expect(wp.WORDPRESS_CONFIG_EXTRA).toContain("'RETAIN_SIDECAR_URL', 'http://sidecar:8787'");
    expect(wp.RETAIN_SECRET).toMatch(/\$\{RETAIN_SECRET/);
    expect((services.sidecar!.environment as Record<string, string>).RETAIN_SECRET).toBe('${RETAIN_SECRET}');
  });

  it('mounts only paths that exist in the repository', () => {
    for (const service of Object.values(services)) {
      for (const volume of (service.volumes as string[] | undefined) ?? []) {
        const host = volume.split(':')[0]!;
        if (host.startsWith('.')) expect(existsSync(path.join(root, host))).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(host);
      }
    }
  });

  it('uses only variables that .env.example documents', () => {
    const text = readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');
    const used = new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!));
    expect([...used].filter((k) => !exampleKeys.includes(k))).toEqual([]);
  });
});

describe('sidecar/Dockerfile', () => {
  it('is multi-stage, runs as a non-root user, has a health check and runs the built sidecar', () => {
    expect((dockerfile.match(/^FROM /gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER (?!root)\w+/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\/v1\/health/ms);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/sidecar\/src\/main\.js"\]/);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('node dist/sidecar/src/main.js');
  });

  it('copies only paths that exist', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) expect(existsSync(path.join(root, src))).toBe(true);
    }
  });
});

describe('.env.example and the README', () => {
  it('document every variable the sidecar reads, and no others', () => {
    expect(ENV_KEYS.filter((k) => !exampleKeys.includes(k))).toEqual([]);
    expect(exampleKeys.filter((k) => !ENV_KEYS.includes(k) && !COMPOSE_ONLY.includes(k))).toEqual([]);
    expect(ENV_KEYS.filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
  });
});
