import { defineQueries } from '../db/sql';

export const templateQueries = defineQueries({
  allOverrides: `SELECT template, source, updated_at FROM {retain_template_overrides}`,
  overrideStamps: `SELECT template, updated_at FROM {retain_template_overrides}`,
  saveOverride: `INSERT INTO {retain_template_overrides} (template, source, updated_at) VALUES (?, ?, ?)
      ON DUPLICATE KEY UPDATE source = VALUES(source), updated_at = VALUES(updated_at)`,
  deleteOverride: `DELETE FROM {retain_template_overrides} WHERE template = ?`,
});
