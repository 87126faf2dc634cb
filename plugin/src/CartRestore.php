<?php
/**
 * ?retain_restore=<token>: brings back an abandoned cart from a Retain e-mail.
 *
 * The token (purpose "restore") is checked, the cart snapshot fetched from the sidecar (signed),
 * its items merged into the current cart (never emptying it), the coupon applied, and the shopper
 * sent to checkout. A token's nonce is claimed once, so a second click adds nothing twice.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class CartRestore {
	public const PARAM        = 'retain_restore';
	private const NONCE_PREFIX = 'retain_rn_';
	public const PURGE_HOOK   = 'retain_purge_restore_nonces';

	private Signer $signer;
	private SidecarClient $client;
	private Identity $identity;

	public function __construct( Signer $signer, SidecarClient $client, Identity $identity ) {
		$this->signer   = $signer;
		$this->client   = $client;
		$this->identity = $identity;
	}

	public function register(): void {
		add_action( 'wp_loaded', array( $this, 'maybe_restore' ), 30 );
		add_action( Coupons::CLEANUP_HOOK, Guard::action( array( $this, 'purge_nonces' ) ) );
	}

	public function maybe_restore(): void {
		if ( empty( $_GET[ self::PARAM ] ) || is_admin() || wp_doing_ajax() ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the token is the proof.
			return;
		}
		try {
			$url = $this->restore( sanitize_text_field( wp_unslash( $_GET[ self::PARAM ] ) ) ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		} catch ( \Throwable $e ) {
			Guard::log( $e, 'cart restore' );
			$url = wc_get_cart_url();
		}
		wp_safe_redirect( $url );
		exit;
	}

	/**
	 * Does the restore and returns where to send the shopper. Notices explain every outcome.
	 */
	public function restore( string $token ): string {
		$payload = $this->signer->read_token( $token, 'restore' );
		if ( null === $payload || empty( $payload['k'] ) || empty( $payload['n'] ) || ! is_string( $payload['k'] ) || ! is_string( $payload['n'] ) ) {
			wc_add_notice( __( 'This link is no longer valid. Your cart is as you left it.', 'retain' ), 'error' );
			return wc_get_cart_url();
		}
		$answer = $this->client->cart( $payload['k'] );
		if ( 200 !== $answer['status'] || ! is_array( $answer['body'] ) || ! isset( $answer['body']['items'] ) || ! is_array( $answer['body']['items'] ) ) {
			wc_add_notice( __( 'We could not bring back your cart just now. Please try the link again in a moment.', 'retain' ), 'error' );
			return wc_get_cart_url();
		}
		if ( ! $this->claim_nonce( $payload['n'], (int) $payload['x'] ) ) {
			wc_add_notice( __( 'Your cart was already restored.', 'retain' ), 'notice' );
			return wc_get_checkout_url();
		}
		if ( ! empty( $payload['e'] ) && is_email( $payload['e'] ) ) {
			$this->identity->set_session_email( (string) $payload['e'] );
		}
		$this->merge( $answer['body']['items'] );
		if ( ! empty( $payload['cp'] ) && is_string( $payload['cp'] ) && ! WC()->cart->has_discount( $payload['cp'] ) ) {
			WC()->cart->apply_coupon( $payload['cp'] );
		}
		return wc_get_checkout_url();
	}

	/** Atomic: add_option() fails when the name exists (a unique key), so only one click wins. */
	private function claim_nonce( string $nonce, int $expires ): bool {
		return add_option( self::NONCE_PREFIX . substr( hash( 'sha256', $nonce ), 0, 40 ), (string) $expires, '', 'no' );
	}

	/** @param array<int,mixed> $items Line items of the snapshot. */
	private function merge( array $items ): void {
		$cart = WC()->cart;
		foreach ( $items as $item ) {
			if ( ! is_array( $item ) || empty( $item['product_id'] ) ) {
				continue;
			}
			$product_id   = absint( $item['product_id'] );
			$variation_id = absint( $item['variation_id'] ?? 0 );
			$quantity     = max( 1, (int) ( $item['quantity'] ?? 1 ) );
			$product      = wc_get_product( $variation_id ? $variation_id : $product_id );
			$name         = $product ? $product->get_name() : (string) ( $item['name'] ?? '' );
			if ( ! $product || ! $product->is_purchasable() ) {
				/* translators: %s: product name */
				wc_add_notice( sprintf( __( '%s is no longer available.', 'retain' ), $name ), 'notice' );
				continue;
			}
			if ( ! $product->is_in_stock() ) {
				/* translators: %s: product name */
				wc_add_notice( sprintf( __( '%s is out of stock right now.', 'retain' ), $name ), 'notice' );
				continue;
			}
			// Already in the cart: keep the shopper's own line as it is.
			if ( $cart->find_product_in_cart( $cart->generate_cart_id( $product_id, $variation_id ) ) ) {
				continue;
			}
			if ( isset( $item['price'] ) && is_numeric( $item['price'] ) && is_numeric( $product->get_price() ) && abs( (float) $item['price'] - (float) $product->get_price() ) >= 0.005 ) {
				wc_add_notice(
					/* translators: 1: product name, 2: old price, 3: new price */
					sprintf( __( 'The price of %1$s has changed from %2$s to %3$s.', 'retain' ), $name, wc_format_decimal( $item['price'], 2 ), wc_format_decimal( $product->get_price(), 2 ) ),
					'notice'
				);
			}
			$cart->add_to_cart( $product_id, $quantity, $variation_id );
		}
	}

	public function purge_nonces(): void {
		global $wpdb;
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s AND CAST(option_value AS UNSIGNED) < %d", $wpdb->esc_like( self::NONCE_PREFIX ) . '%', time() ) );
	}
}
