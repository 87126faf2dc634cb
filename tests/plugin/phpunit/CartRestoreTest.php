<?php

namespace Retain\Tests;

final class CartRestoreTest extends TestCase {
	private int $mug;
	private int $plate;
	private int $gone;
	private int $bowl;

	protected function setUp(): void {
		parent::setUp();
		$this->mug   = retain_standin_create_product( 'Mug', '9.50' );
		$this->plate = retain_standin_create_product( 'Plate', '5.00' );
		$this->gone  = retain_standin_create_product( 'Vase', '30.00', 'outofstock' );
		$this->bowl  = retain_standin_create_product( 'Bowl', '7.00' );
		$coupon      = new \WC_Coupon();
		$coupon->set_code( 'RET-COMEBACK' );
		$coupon->save();
		$this->respond_with(
			fn( $url ) => self::response(
				200,
				array(
					'cart_key' => 'k1',
					'email'    => 'back@example.org',
					'items'    => array(
						array( 'product_id' => $this->mug, 'quantity' => 2, 'price' => '9.50' ),
						array( 'product_id' => $this->plate, 'quantity' => 1, 'price' => '4.00' ),
						array( 'product_id' => $this->gone, 'quantity' => 1, 'price' => '30.00' ),
					),
				)
			)
		);
	}

	private function token( array $over = array(), string $secret = self::SECRET ): string {
		return $this->make_token( $over + array( 'p' => 'restore', 'x' => time() + 3600, 'k' => 'k1', 'e' => 'back@example.org', 'n' => 'nonce-1', 'cp' => 'RET-COMEBACK' ), $secret );
	}

	private function quantities(): array {
		$out = array();
		foreach ( WC()->cart->get_cart() as $item ) {
			$out[ $item['product_id'] ] = $item['quantity'];
		}
		return $out;
	}

	public function test_restores_into_the_current_cart_applies_the_coupon_and_goes_to_checkout(): void {
		WC()->cart->add_to_cart( $this->bowl, 1 );
		WC()->cart->add_to_cart( $this->mug, 1 );
		$url = $this->plugin()->cart_restore->restore( $this->token() );

		$this->assertSame( wc_get_checkout_url(), $url );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( self::URL . '/v1/carts/k1', $this->requests[0]['url'] );
		$this->assertSame( 'GET', $this->requests[0]['args']['method'] );
		$this->assertSignedRequest( $this->requests[0] );
		// Nothing removed; the shopper's own mug line stays as it was; the plate comes back.
		$this->assertSame( array( $this->bowl => 1, $this->mug => 1, $this->plate => 1 ), $this->quantities() );
		$this->assertTrue( WC()->cart->has_discount( 'RET-COMEBACK' ) );
		$notices = implode( ' | ', array_column( wc_get_notices( 'notice' ), 'notice' ) );
		$this->assertStringContainsString( 'Vase is out of stock', $notices );
		$this->assertStringContainsString( 'price of Plate has changed from 4.00 to 5.00', $notices );
		$this->assertSame( 'back@example.org', $this->plugin()->identity->session_email() );
	}

	public function test_a_reused_token_adds_nothing_twice(): void {
		$token = $this->token();
		$this->plugin()->cart_restore->restore( $token );
		$before = $this->quantities();
		wc_clear_notices();
		$this->plugin()->cart_restore->restore( $token );
		$this->assertSame( $before, $this->quantities() );
		$this->assertStringContainsString( 'already restored', wc_get_notices( 'notice' )[0]['notice'] );
		// Even in another session (say, another browser) the nonce is spent.
		WC()->reset_frontend( 0 );
		$this->plugin()->cart_restore->restore( $token );
		$this->assertSame( array(), $this->quantities() );
	}

	public function test_forged_expired_and_wrong_purpose_tokens_are_refused_without_calling_the_sidecar(): void {
		$bad = array(
			'forged'        => $this->token( array(), 'not-the-secret' ),
			'expired'       => $this->token( array( 'x' => time() - 1 ) ),
			'wrong purpose' => $this->token( array( 'p' => 'unsubscribe' ) ),
			'tampered'      => str_replace( '.', 'x.', $this->token() ),
			'garbage'       => 'not-a-token',
		);
		foreach ( $bad as $label => $token ) {
			wc_clear_notices();
			$this->assertSame( wc_get_cart_url(), $this->plugin()->cart_restore->restore( $token ), $label );
			$this->assertStringContainsString( 'no longer valid', wc_get_notices( 'error' )[0]['notice'], $label );
		}
		$this->assertSame( array(), $this->requests );
		$this->assertSame( array(), $this->quantities() );
	}

	public function test_sidecar_failure_does_not_spend_the_token(): void {
		$ok = $this->requests;
		$this->respond_with( static fn() => new \WP_Error( 'http_request_failed', 'down' ) );
		$token = $this->token( array( 'n' => 'nonce-2' ) );
		$this->assertSame( wc_get_cart_url(), $this->plugin()->cart_restore->restore( $token ) );
		$this->assertSame( array(), $this->quantities() );
		$this->setUp_responder_again();
		$this->plugin()->cart_restore->restore( $token );
		$this->assertArrayHasKey( $this->mug, $this->quantities() );
	}

	private function setUp_responder_again(): void {
		$this->respond_with( fn() => self::response( 200, array( 'cart_key' => 'k1', 'items' => array( array( 'product_id' => $this->mug, 'quantity' => 1 ) ) ) ) );
	}
}
