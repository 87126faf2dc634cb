import type { Migration } from '../db/migrations';

// Tables of this capability (versions 400 and up); see db/migrations.ts for the ranges.
export const reportMigrations: Migration[] = [];
