<?php

namespace Retain\Tests;

use Retain\Coupons;

final class EndpointsTest extends TestCase {
	private function call( string $method, string $route, string $body = '', ?string $secret = self::SECRET, ?int $ts = null ): \WP_REST_Response {
		$request = new \WP_REST_Request( $method, $route );
		if ( '' !== $body ) {
			$request->set_body( $body );
			$request->set_header( 'Content-Type', 'application/json' );
		}
		if ( null !== $secret ) {
			$ts = (string) ( $ts ?? time() );
			$request->set_header( 'X-Retain-Timestamp', $ts );
			$request->set_header( 'X-Retain-Signature', hash_hmac( 'sha256', $ts . '.' . $body, $secret ) );
		}
		$response = rest_do_request( $request );
		return apply_filters( 'rest_post_dispatch', rest_ensure_response( $response ), rest_get_server(), $request );
	}

	private function coupon_body( array $over = array() ): string {
		return wp_json_encode(
			$over + array(
				'email'           => 'Shopper@Example.org',
				'type'            => 'percent',
				'amount'          => '15',
				'expires_at'      => gmdate( 'Y-m-d\TH:i:s\Z', time() + 7 * DAY_IN_SECONDS ),
				'free_shipping'   => true,
				'prefix'          => 'RET-',
				'idempotency_key' => 'flow:abandoned:42:step2',
			)
		);
	}

	public function test_signed_request_creates_a_restricted_single_use_coupon(): void {
		$body     = $this->coupon_body();
		$response = $this->call( 'POST', '/retain/v1/coupons', $body );
		$this->assertSame( 201, $response->get_status() );
		$data = $response->get_data();
		$this->assertMatchesRegularExpression( '/^RET-[A-Z2-9]{10}$/', $data['code'] );
		$this->assertSame( 'percent', $data['type'] );
		$this->assertSame( '15', $data['amount'] );
		$this->assertSame( json_decode( $body, true )['expires_at'], $data['expires_at'] );

		$id = wc_get_coupon_id_by_code( $data['code'] );
		$this->assertGreaterThan( 0, $id );
		$this->assertSame( 'shop_coupon', get_post_type( $id ) );
		$this->assertSame( 'percent', get_post_meta( $id, 'discount_type', true ) );
		$this->assertSame( '15', get_post_meta( $id, 'coupon_amount', true ) );
		$this->assertSame( '1', (string) get_post_meta( $id, 'usage_limit', true ) );
		$this->assertSame( array( 'shopper@example.org' ), get_post_meta( $id, 'customer_email', true ) );
		$this->assertSame( 'yes', get_post_meta( $id, 'free_shipping', true ) );
		$this->assertSame( (string) strtotime( $data['expires_at'] ), (string) get_post_meta( $id, 'date_expires', true ) );
	}

	public function test_same_idempotency_key_returns_the_same_coupon(): void {
		$first  = $this->call( 'POST', '/retain/v1/coupons', $this->coupon_body() )->get_data();
		$second = $this->call( 'POST', '/retain/v1/coupons', $this->coupon_body( array( 'amount' => '20' ) ) );
		$this->assertSame( 201, $second->get_status() );
		$this->assertSame( $first, $second->get_data() );
		global $wpdb;
		$this->assertSame( '1', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'shop_coupon'" ) );
		$third = $this->call( 'POST', '/retain/v1/coupons', $this->coupon_body( array( 'idempotency_key' => 'flow:abandoned:43:step2' ) ) )->get_data();
		$this->assertNotSame( $first['code'], $third['code'] );
	}

	public function test_forged_unsigned_and_stale_requests_are_refused_with_401(): void {
		$cases = array(
			'signature_invalid' => array( 'wrong-secret', null ),
			'signature_missing' => array( null, null ),
			'timestamp_stale'   => array( self::SECRET, time() - 301 ),
		);
		foreach ( $cases as $code => list( $secret, $ts ) ) {
			$response = $this->call( 'POST', '/retain/v1/coupons', $this->coupon_body(), $secret, $ts );
			$this->assertSame( 401, $response->get_status(), $code );
			$this->assertSame( $code, $response->get_data()['error']['code'] );
		}
		// A signature over a different body (tampered in transit) is refused too.
		$ts      = (string) time();
		$request = new \WP_REST_Request( 'POST', '/retain/v1/coupons' );
		$request->set_body( $this->coupon_body( array( 'amount' => '99' ) ) );
		$request->set_header( 'X-Retain-Timestamp', $ts );
		$request->set_header( 'X-Retain-Signature', hash_hmac( 'sha256', $ts . '.' . $this->coupon_body(), self::SECRET ) );
		$this->assertSame( 401, rest_do_request( $request )->get_status() );
		global $wpdb;
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->posts} WHERE post_type = 'shop_coupon'" ) );
	}

	public function test_invalid_body_is_422_with_details(): void {
		$response = $this->call( 'POST', '/retain/v1/coupons', $this->coupon_body( array( 'type' => 'bogus', 'amount' => '-1', 'email' => 'nope' ) ) );
		$this->assertSame( 422, $response->get_status() );
		$this->assertSame( 'coupon_invalid', $response->get_data()['error']['code'] );
		$this->assertEqualsCanonicalizing( array( 'email', 'type', 'amount' ), array_column( $response->get_data()['error']['details'], 'path' ) );
	}

	public function test_health_is_signed_and_reports_versions_and_backlog(): void {
		$this->plugin()->outbox->record( 'product.viewed', array( 'product_id' => 1, 'customer_id' => 1 ) );
		$response = $this->call( 'GET', '/retain/v1/health' );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( array( 'plugin_version' => '0.1.0', 'woocommerce_version' => '9.4.0', 'outbox_pending' => 1 ), $response->get_data() );
		$this->assertSame( 401, $this->call( 'GET', '/retain/v1/health', '', null )->get_status() );
	}

	public function test_daily_cleanup_deletes_only_expired_unused_retain_coupons(): void {
		$make = function ( string $key, int $expires, int $used = 0, bool $ours = true ) {
			$c = new \WC_Coupon();
			$c->set_code( 'C' . $key );
			$c->set_date_expires( $expires );
			if ( $ours ) {
				$c->update_meta_data( Coupons::MARK_META, 'yes' );
			}
			$id = $c->save();
			update_post_meta( $id, 'usage_count', $used );
			return $id;
		};
		$old    = $make( 'old', time() - 3 * DAY_IN_SECONDS );
		$used   = $make( 'used', time() - 3 * DAY_IN_SECONDS, 1 );
		$fresh  = $make( 'fresh', time() + DAY_IN_SECONDS );
		$theirs = $make( 'theirs', time() - 3 * DAY_IN_SECONDS, 0, false );
		$this->assertSame( 1, $this->plugin()->coupons->cleanup() );
		$this->assertNull( get_post( $old ) );
		$this->assertNotNull( get_post( $used ) );
		$this->assertNotNull( get_post( $fresh ) );
		$this->assertNotNull( get_post( $theirs ) );
	}
}
