<?php

namespace Retain\Tests;

final class BootTest extends TestCase {
	public function test_activation_created_the_outbox_table(): void {
		global $wpdb;
		$columns = $wpdb->get_col( "SHOW COLUMNS FROM {$wpdb->prefix}retain_outbox" );
		$this->assertSame( array( 'id', 'event_id', 'type', 'contact', 'payload', 'status', 'error_code', 'created_at' ), $columns );
		$this->assertSame( '1', get_option( 'retain_db_version' ) );
	}

	public function test_declares_hpos_and_block_checkout_compatibility(): void {
		$this->assertTrue( \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared['custom_order_tables'] ?? false );
		$this->assertTrue( \Automattic\WooCommerce\Utilities\FeaturesUtil::$declared['cart_checkout_blocks'] ?? false );
	}

	public function test_main_file_header(): void {
		require_once ABSPATH . "wp-admin/includes/plugin.php";
		$data = get_plugin_data( WP_PLUGIN_DIR . '/retain/retain.php', false, false );
		$this->assertSame( 'retain', $data['TextDomain'] );
		$this->assertSame( '8.0', $data['RequiresPHP'] );
		$raw = file_get_contents( WP_PLUGIN_DIR . '/retain/retain.php' );
		$this->assertStringContainsString( 'Requires Plugins:     woocommerce', $raw );
		$this->assertStringContainsString( 'WC requires at least:', $raw );
		$this->assertStringContainsString( "defined( 'ABSPATH' ) || exit;", $raw );
	}
}
