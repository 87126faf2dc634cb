import { defineQueries } from '../db/sql';

// Read-only SQL against WooCommerce's own tables. The sidecar never writes these.
export const shopQueries = defineQueries({
  options: `SELECT option_name, option_value FROM {options} WHERE option_name IN (?)`,
  // The server's binary logging, as this session writes it (see createShopPool: READ COMMITTED).
  binlog: `SELECT @@GLOBAL.log_bin AS logging, @@SESSION.binlog_format AS format`,
});
