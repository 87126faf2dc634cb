<?php
// wp-config.php for the private test WordPress under .retain/wordpress (copied there by
// scripts/wordpress.sh). The database comes from the environment so PHPUnit and the browser test
// each use their own. Never used on a real site.
define( 'DB_NAME', getenv( 'RETAIN_WP_DB_NAME' ) ?: 'retain_wp_test' );
define( 'DB_USER', getenv( 'RETAIN_WP_DB_USER' ) ?: 'retain' );
define( 'DB_PASSWORD', getenv( 'RETAIN_WP_DB_PASSWORD' ) ?: 'retain' );
define( 'DB_HOST', getenv( 'RETAIN_WP_DB_HOST' ) ?: '127.0.0.1:3407' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );

// Fixed test salts: this WordPress only ever holds throw-away test data.
foreach ( array( 'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT' ) as $retain_salt ) {
	define( $retain_salt, 'retain-test-' . strtolower( $retain_salt ) );
}

$table_prefix = 'wp_';

if ( getenv( 'RETAIN_WP_HOME' ) ) {
	define( 'WP_HOME', getenv( 'RETAIN_WP_HOME' ) );
	define( 'WP_SITEURL', getenv( 'RETAIN_WP_HOME' ) );
}
define( 'WP_DEBUG', '0' !== getenv( 'RETAIN_WP_DEBUG' ) );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_DEBUG_LOG', getenv( 'RETAIN_WP_DEBUG_LOG' ) ?: false );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1,localhost' );
define( 'FS_METHOD', 'direct' );

if ( getenv( 'RETAIN_TEST_SIDECAR_CONSTANTS' ) ) {
	// Lets a test check that wp-config.php constants lock the settings fields.
	define( 'RETAIN_SIDECAR_URL', getenv( 'RETAIN_TEST_SIDECAR_CONSTANTS' ) );
}

if ( ! defined( 'ABSPATH' ) ) {
	define( 'ABSPATH', __DIR__ . '/' );
}
require_once ABSPATH . 'wp-settings.php';
