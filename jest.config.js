// Three lanes (STYLE.md): pure unit tests, integration tests on real MariaDB, HTTP tests with
// supertest (also on MariaDB). Tests mirror source paths under tests/sidecar/.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }] };
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  // Jest reads the timeout only at the top level, not per project.
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/tests/**/*.unit.test.ts'] },
    {
      ...common,
      displayName: 'db',
      testMatch: ['<rootDir>/tests/**/*.db.test.ts'],
      globalSetup: '<rootDir>/tests/support/global-setup.ts',
    },
  ],
};
