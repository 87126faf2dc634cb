<?php
/**
 * Runs one thing inside the browser test's WordPress (the same database and plugin as the pages
 * php -S serves), for steps a browser cannot take:
 *   php wp-run.php <wordpress root> signup-page   → creates a page with [retain_signup], prints its URL
 *   php wp-run.php <wordpress root> run-actions   → runs the due Action Scheduler actions (the stand-in's
 *                                                   queue runner, as WP-cron would), prints how many ran
 *   php wp-run.php <wordpress root> user-locale <login> <locale|''> → sets that user's own admin language
 * Env: RETAIN_WP_DB_*, RETAIN_WP_HOME.
 */

$root = rtrim( $argv[1] ?? '', '/' );
$what = $argv[2] ?? '';
if ( '' === $root || ! is_file( "$root/wp-settings.php" ) ) {
	fwrite( STDERR, "usage: php wp-run.php <wordpress root> signup-page|run-actions\n" );
	exit( 2 );
}
$home                      = getenv( 'RETAIN_WP_HOME' ) ?: 'http://example.org';
$_SERVER['HTTP_HOST']      = (string) parse_url( $home, PHP_URL_HOST ) . ( parse_url( $home, PHP_URL_PORT ) ? ':' . parse_url( $home, PHP_URL_PORT ) : '' );
$_SERVER['SERVER_NAME']    = (string) parse_url( $home, PHP_URL_HOST );
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['REQUEST_URI']    = '/';
require "$root/wp-config.php";

if ( 'signup-page' === $what ) {
	switch_theme( 'retain-test-theme' ); // tests/plugin/theme, linked by scripts/wordpress.sh
	$id = wp_insert_post(
		array(
			'post_type'    => 'page',
			'post_status'  => 'publish',
			'post_title'   => 'Newsletter',
			'post_content' => '[retain_signup title="Join our list"]',
		),
		true
	);
	if ( is_wp_error( $id ) ) {
		fwrite( STDERR, $id->get_error_message() . "\n" );
		exit( 1 );
	}
	echo get_permalink( $id ), "\n";
	exit( 0 );
}
if ( 'run-actions' === $what ) {
	echo (int) retain_standin_run_due_actions(), "\n";
	exit( 0 );
}
if ( 'user-locale' === $what ) {
	$user = get_user_by( 'login', (string) ( $argv[3] ?? '' ) );
	if ( ! $user ) {
		fwrite( STDERR, "no such user\n" );
		exit( 1 );
	}
	update_user_meta( $user->ID, 'locale', (string) ( $argv[4] ?? '' ) );
	echo get_user_locale( $user->ID ), "\n";
	exit( 0 );
}
fwrite( STDERR, "unknown command $what\n" );
exit( 2 );
