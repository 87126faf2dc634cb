<?php
/**
 * Unique, single-use coupons the sidecar asks for, created through WC_Coupon (WooCommerce owns
 * its tables), and a daily clean-up of the expired, unused ones.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Coupons {
	public const CLEANUP_HOOK    = 'retain_cleanup_coupons';
	public const MARK_META       = '_retain_coupon';
	public const IDEMPOTENCY_META = '_retain_idempotency_key';
	private const ALPHABET       = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

	public function register(): void {
		add_action( self::CLEANUP_HOOK, Guard::action( array( $this, 'cleanup' ) ) );
		add_action( 'admin_init', Guard::action( array( $this, 'ensure_cleanup_scheduled' ) ) );
	}

	public function ensure_cleanup_scheduled(): void {
		if ( ! as_has_scheduled_action( self::CLEANUP_HOOK, null, Delivery::GROUP ) ) {
			as_schedule_recurring_action( time() + HOUR_IN_SECONDS, DAY_IN_SECONDS, self::CLEANUP_HOOK, array(), Delivery::GROUP );
		}
	}

	/**
	 * Validates a request body. Returns the clean fields, or a list of problems.
	 *
	 * @param mixed $body Decoded JSON.
	 * @return array{0:?array<string,mixed>,1:array<int,array<string,string>>}
	 */
	public function validate( $body ): array {
		$errors = array();
		if ( ! is_array( $body ) ) {
			return array( null, array( array( 'path' => '', 'message' => 'a JSON object' ) ) );
		}
		$email = isset( $body['email'] ) && is_string( $body['email'] ) ? strtolower( trim( $body['email'] ) ) : '';
		if ( ! is_email( $email ) ) {
			$errors[] = array( 'path' => 'email', 'message' => 'a valid e-mail address' );
		}
		$type = $body['type'] ?? null;
		if ( ! in_array( $type, array( 'percent', 'fixed_cart' ), true ) ) {
			$errors[] = array( 'path' => 'type', 'message' => 'percent or fixed_cart' );
		}
		$amount = isset( $body['amount'] ) && ( is_string( $body['amount'] ) || is_int( $body['amount'] ) || is_float( $body['amount'] ) ) ? (string) $body['amount'] : '';
		if ( ! preg_match( '/^\d{1,9}(\.\d{1,4})?$/', $amount ) || (float) $amount <= 0 || ( 'percent' === $type && (float) $amount > 100 ) ) {
			$errors[] = array( 'path' => 'amount', 'message' => 'a positive decimal amount (at most 100 for percent)' );
		}
		$expires = isset( $body['expires_at'] ) && is_string( $body['expires_at'] ) ? strtotime( $body['expires_at'] ) : false;
		if ( ! $expires || ! preg_match( '/^\d{4}-\d{2}-\d{2}T/', (string) $body['expires_at'] ) || $expires <= time() ) {
			$errors[] = array( 'path' => 'expires_at', 'message' => 'an ISO 8601 date-time in the future' );
		}
		$prefix = isset( $body['prefix'] ) ? (string) $body['prefix'] : 'RET-';
		if ( ! preg_match( '/^[A-Za-z0-9-]{0,16}$/', $prefix ) ) {
			$errors[] = array( 'path' => 'prefix', 'message' => 'up to 16 letters, digits or dashes' );
		}
		$key = isset( $body['idempotency_key'] ) && is_string( $body['idempotency_key'] ) ? $body['idempotency_key'] : '';
		if ( ! preg_match( '/^[A-Za-z0-9._:-]{8,128}$/', $key ) ) {
			$errors[] = array( 'path' => 'idempotency_key', 'message' => '8–128 characters of A-Z a-z 0-9 . _ : -' );
		}
		if ( isset( $body['free_shipping'] ) && ! is_bool( $body['free_shipping'] ) ) {
			$errors[] = array( 'path' => 'free_shipping', 'message' => 'true or false' );
		}
		if ( $errors ) {
			return array( null, $errors );
		}
		return array(
			array(
				'email'           => $email,
				'type'            => $type,
				'amount'          => $amount,
				'expires'         => (int) $expires,
				'free_shipping'   => ! empty( $body['free_shipping'] ),
				'prefix'          => strtoupper( $prefix ),
				'idempotency_key' => $key,
			),
			array(),
		);
	}

	/**
	 * Creates the coupon, or returns the one made earlier for the same idempotency key.
	 *
	 * @param array<string,mixed> $req Output of validate().
	 * @return array{0:array<string,mixed>,1:bool} The coupon's answer body, and whether it is new.
	 */
	public function create( array $req ): array {
		global $wpdb;
		// Two identical requests racing must not make two coupons.
		$lock = $wpdb->prefix . 'retain_coupon_' . md5( $req['idempotency_key'] );
		$wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 10)', $lock ) );
		try {
			$existing = $this->find_by_key( $req['idempotency_key'] );
			if ( $existing ) {
				return array( self::describe( $existing ), false );
			}
			$coupon = new \WC_Coupon();
			$coupon->set_code( $this->unique_code( $req['prefix'] ) );
			$coupon->set_description( __( 'Created by Retain for one customer.', 'retain' ) );
			$coupon->set_discount_type( $req['type'] );
			$coupon->set_amount( $req['amount'] );
			$coupon->set_date_expires( $req['expires'] );
			$coupon->set_usage_limit( 1 );
			$coupon->set_usage_limit_per_user( 1 );
			$coupon->set_individual_use( true );
			$coupon->set_email_restrictions( array( $req['email'] ) );
			$coupon->set_free_shipping( $req['free_shipping'] );
			$coupon->update_meta_data( self::MARK_META, 'yes' );
			$coupon->update_meta_data( self::IDEMPOTENCY_META, $req['idempotency_key'] );
			$coupon->save();
			return array( self::describe( $coupon ), true );
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}

	private function find_by_key( string $key ): ?\WC_Coupon {
		global $wpdb;
		$id = (int) $wpdb->get_var(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p JOIN {$wpdb->postmeta} m ON m.post_id = p.ID WHERE p.post_type = 'shop_coupon' AND p.post_status <> 'trash' AND m.meta_key = %s AND m.meta_value = %s ORDER BY p.ID ASC LIMIT 1",
				self::IDEMPOTENCY_META,
				$key
			)
		);
		return $id ? new \WC_Coupon( $id ) : null;
	}

	private function unique_code( string $prefix ): string {
		for ( $i = 0; $i < 20; $i++ ) {
			$code = $prefix;
			for ( $j = 0; $j < 10; $j++ ) {
				$code .= self::ALPHABET[ random_int( 0, strlen( self::ALPHABET ) - 1 ) ];
			}
			if ( ! wc_get_coupon_id_by_code( $code ) ) {
				return $code;
			}
		}
		throw new \RuntimeException( 'no unique coupon code' );
	}

	/** @return array<string,mixed> */
	public static function describe( \WC_Coupon $coupon ): array {
		$expires = $coupon->get_date_expires();
		return array(
			'code'       => $coupon->get_code(),
			'type'       => $coupon->get_discount_type(),
			'amount'     => (string) $coupon->get_amount(),
			'expires_at' => $expires ? gmdate( 'Y-m-d\TH:i:s\Z', $expires->getTimestamp() ) : null,
		);
	}

	/** Deletes Retain coupons that expired more than a day ago without being used. */
	public function cleanup( ?int $now = null ): int {
		global $wpdb;
		$now = $now ?? time();
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p
				JOIN {$wpdb->postmeta} mark ON mark.post_id = p.ID AND mark.meta_key = %s AND mark.meta_value = 'yes'
				JOIN {$wpdb->postmeta} exp ON exp.post_id = p.ID AND exp.meta_key = 'date_expires'
				LEFT JOIN {$wpdb->postmeta} used ON used.post_id = p.ID AND used.meta_key = 'usage_count'
				WHERE p.post_type = 'shop_coupon' AND exp.meta_value <> '' AND CAST(exp.meta_value AS UNSIGNED) < %d
				AND COALESCE(CAST(used.meta_value AS UNSIGNED), 0) = 0
				LIMIT 500",
				self::MARK_META,
				$now - DAY_IN_SECONDS
			)
		);
		foreach ( $ids as $id ) {
			( new \WC_Coupon( (int) $id ) )->delete( true );
		}
		return count( $ids );
	}
}
