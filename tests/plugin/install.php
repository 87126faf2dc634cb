<?php
/**
 * Installs WordPress into the (freshly created) database named by RETAIN_WP_DB_NAME with
 * WordPress's own wp_install(), then activates the Retain plugin the way wp-admin does.
 * Run by scripts/test-plugin.sh: php tests/plugin/install.php <wordpress root>
 */

$root = rtrim( $argv[1] ?? '', '/' );
if ( '' === $root || ! is_file( "$root/wp-settings.php" ) ) {
	fwrite( STDERR, "usage: php install.php <wordpress root>\n" );
	exit( 2 );
}
$_SERVER['HTTP_HOST']      = parse_url( getenv( 'RETAIN_WP_HOME' ) ?: 'http://example.org', PHP_URL_HOST ) ?: 'example.org';
$_SERVER['SERVER_NAME']    = $_SERVER['HTTP_HOST'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI']    = '/';

if ( 'activate' !== ( $argv[2] ?? '' ) ) {
	define( 'WP_INSTALLING', true );
	require "$root/wp-config.php";
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	$result = wp_install( 'Retain test shop', 'admin', 'admin@example.org', false, '', 'password' );
	update_option( 'permalink_structure', '' );
	fwrite( STDERR, "[install] WordPress installed in " . DB_NAME . " (user {$result['user_id']})\n" );
	// A second process activates the plugin with the normal (not installing) load order.
	passthru( escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __FILE__ ) . ' ' . escapeshellarg( $root ) . ' activate', $rc );
	exit( $rc );
}

require "$root/wp-config.php";
require_once ABSPATH . 'wp-admin/includes/plugin.php';
$result = activate_plugin( 'retain/retain.php' );
if ( is_wp_error( $result ) ) {
	fwrite( STDERR, '[install] activation failed: ' . $result->get_error_message() . "\n" );
	exit( 1 );
}
fwrite( STDERR, "[install] retain activated\n" );
