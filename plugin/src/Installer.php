<?php
/**
 * Activation, upgrades and deactivation.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Installer {
	public const DB_VERSION_OPTION = 'retain_db_version';
	public const DB_VERSION        = '1';

	public static function activate(): void {
		self::create_tables();
	}

	/** Runs dbDelta again only when the schema version changed (a plugin update). */
	public static function maybe_upgrade(): void {
		if ( get_option( self::DB_VERSION_OPTION ) !== self::DB_VERSION ) {
			self::create_tables();
		}
	}

	public static function create_tables(): void {
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		dbDelta( ( new Outbox() )->schema() );
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION );
	}

	/** Stops our scheduled actions; the outbox stays, so nothing is lost on re-activation. */
	public static function deactivate(): void {
		if ( function_exists( 'as_unschedule_all_actions' ) ) {
			foreach ( array( Delivery::HOOK, Delivery::SWEEP_HOOK, Coupons::CLEANUP_HOOK ) as $hook ) {
				as_unschedule_all_actions( $hook, array(), Delivery::GROUP );
			}
		}
	}
}
