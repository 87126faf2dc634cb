<?php
/**
 * Test site only (a must-use plugin linked by scripts/wordpress.sh): an admin whose own language is
 * written right to left gets a right-to-left wp-admin even without the language pack, which is what
 * would normally say so (Debian's WordPress 6.1 ships none). Lets the browser test check the Retain
 * pages in RTL: `php tests/plugin/browser/wp-run.php <root> user-locale admin he_IL`.
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'init',
	static function () {
		global $wp_locale;
		$rtl_languages = array( 'ar', 'he_IL', 'fa_IR', 'ur', 'ckb', 'ug_CN' );
		if ( is_admin() && $wp_locale instanceof WP_Locale && in_array( get_user_locale(), $rtl_languages, true ) ) {
			$wp_locale->text_direction = 'rtl';
		}
	},
	0
);
