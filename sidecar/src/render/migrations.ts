import type { Migration } from '../db/migrations';
import { innodbTable as table } from '../db/sql';

// Tables of this capability (versions 500 and up); see db/migrations.ts for the ranges.
export const templateMigrations: Migration[] = [
  {
    version: 500,
    name: 'edited templates',
    statements: [
      // A store admin's edit of one flow step's template, whole file text (front matter and body).
      // No row means the shipped file in templates/ is used.
      table(`CREATE TABLE {retain_template_overrides} (
        template VARCHAR(191) NOT NULL PRIMARY KEY,
        source MEDIUMTEXT NOT NULL,
        updated_at DATETIME(3) NOT NULL
      )`),
    ],
  },
];
