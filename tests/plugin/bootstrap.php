<?php
/**
 * PHPUnit bootstrap: loads the real WordPress installed by scripts/test-plugin.sh (database
 * RETAIN_WP_DB_NAME, plugin active, WooCommerce stand-in as a must-use plugin).
 */

$root = getenv( 'RETAIN_WP_ROOT' );
if ( ! $root || ! is_file( "$root/wp-settings.php" ) ) {
	fwrite( STDERR, "RETAIN_WP_ROOT must point at the test WordPress; run bash scripts/test-plugin.sh\n" );
	exit( 1 );
}
$_SERVER['HTTP_HOST']      = 'example.org';
$_SERVER['SERVER_NAME']    = 'example.org';
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI']    = '/';
$_SERVER['REMOTE_ADDR']    = '203.0.113.7';
putenv( 'RETAIN_WP_HOME=http://example.org' );

// PHPUnit includes this file inside a function: WordPress's file-scope variables must be globals.
global $wpdb, $table_prefix, $wp_version, $wp_db_version, $shortcode_tags, $wp_filter, $wp_actions, $wp_current_filter,
	$wp_rewrite, $wp, $wp_query, $wp_the_query, $wp_locale, $wp_embed, $wp_widget_factory, $wp_roles, $wp_plugin_paths,
	$wp_post_types, $wp_taxonomies, $wp_post_statuses, $wp_scripts, $wp_styles, $allowedposttags, $allowedtags, $allowedentitynames,
	$wp_textdomain_registry, $pagenow, $is_apache, $is_IIS, $is_iis7, $is_nginx, $required_php_version, $required_mysql_version, $timestart;
require "$root/wp-config.php";

if ( ! class_exists( 'Retain\Plugin' ) || null === Retain\Plugin::instance() ) {
	fwrite( STDERR, "The Retain plugin is not active in the test WordPress\n" );
	exit( 1 );
}
require __DIR__ . '/phpunit/TestCase.php';
