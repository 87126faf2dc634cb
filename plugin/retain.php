<?php
/**
 * Plugin Name:          Retain
 * Plugin URI:           https://github.com/retain/retain
 * Description:          Self-hosted lifecycle email for WooCommerce: forwards shop events, signed, to your Retain sidecar.
 * Version:              0.1.0
 * Requires at least:    6.1
 * Requires PHP:         8.0
 * Requires Plugins:     woocommerce
 * WC requires at least: 8.2
 * Author:               Retain
 * License:              GPL-2.0-or-later
 * License URI:          https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:          retain
 * Domain Path:          /languages
 */

defined( 'ABSPATH' ) || exit;

spl_autoload_register(
	static function ( $class ) {
		if ( 0 !== strncmp( $class, 'Retain\\', 7 ) ) {
			return;
		}
		$file = __DIR__ . '/src/' . str_replace( '\\', '/', substr( $class, 7 ) ) . '.php';
		if ( is_readable( $file ) ) {
			require $file;
		}
	}
);

register_activation_hook( __FILE__, array( Retain\Installer::class, 'activate' ) );
register_deactivation_hook( __FILE__, array( Retain\Installer::class, 'deactivate' ) );

add_action(
	'before_woocommerce_init',
	static function () {
		if ( class_exists( \Automattic\WooCommerce\Utilities\FeaturesUtil::class ) ) {
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'custom_order_tables', __FILE__, true );
			\Automattic\WooCommerce\Utilities\FeaturesUtil::declare_compatibility( 'cart_checkout_blocks', __FILE__, true );
		}
	}
);

add_action(
	'plugins_loaded',
	static function () {
		Retain\Plugin::init( __FILE__ );
	}
);
