<?php
/**
 * Removes what is ours and nothing else: the outbox table and our options. Coupons Retain
 * created belong to WooCommerce now and stay.
 *
 * @package Retain
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

global $wpdb;
$wpdb->query( "DROP TABLE IF EXISTS {$wpdb->prefix}retain_outbox" ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery.SchemaChange
foreach ( array( 'retain_settings', 'retain_db_version', 'retain_delivery_state' ) as $retain_option ) {
	delete_option( $retain_option );
}
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( 'retain_rn_' ) . '%' ) );
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_retain_test_' ) . '%', $wpdb->esc_like( '_transient_timeout_retain_test_' ) . '%' ) );
if ( function_exists( 'as_unschedule_all_actions' ) ) {
	foreach ( array( 'retain_deliver', 'retain_deliver_sweep', 'retain_cleanup_coupons' ) as $retain_hook ) {
		as_unschedule_all_actions( $retain_hook, array(), 'retain' );
	}
}
