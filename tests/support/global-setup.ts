import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Starts (or finds) the private MariaDB server once for the whole run; test files read the URL
// from the environment, which Jest's workers inherit.
export default function globalSetup(): void {
  if (process.env.RETAIN_TEST_DB_ADMIN_URL) return;
  const script = path.join(__dirname, '..', '..', 'scripts', 'mariadb.sh');
  const url = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env.RETAIN_TEST_DB_ADMIN_URL = url;
}
