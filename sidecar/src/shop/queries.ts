import { defineQueries } from '../db/sql';

// Read-only SQL against WooCommerce's own tables (the sidecar never writes these), and the server
// state the reader reads or holds.
export const shopQueries = defineQueries({
  options: `SELECT option_name, option_value FROM {options} WHERE option_name IN (?)`,
  // The server's binary logging, as this session writes it (see createShopPool: READ COMMITTED).
  binlog: `SELECT @@GLOBAL.log_bin AS logging, @@SESSION.binlog_format AS format`,
  // A named lock per shop-wide job, scoped to the database; waits up to 10 minutes for another holder.
  jobLock: `SELECT GET_LOCK(CONCAT(DATABASE(), '.', ?), 600) AS got`,
  jobUnlock: `SELECT RELEASE_LOCK(CONCAT(DATABASE(), '.', ?))`,
});
