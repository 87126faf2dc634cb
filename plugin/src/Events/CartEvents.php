<?php
/**
 * cart.updated: a snapshot of the cart after every change, from the classic cart and the Store
 * API alike (the Store API's cart routes go through the same WC_Cart methods and fire the same hooks).
 *
 * @package Retain
 */

namespace Retain\Events;

use Retain\Guard;
use Retain\Identity;
use Retain\Outbox;

defined( 'ABSPATH' ) || exit;

final class CartEvents {
	private Outbox $outbox;
	private Identity $identity;

	public function __construct( Outbox $outbox, Identity $identity ) {
		$this->outbox   = $outbox;
		$this->identity = $identity;
	}

	public function register(): void {
		$record = Guard::action( array( $this, 'record' ) );
		add_action( 'woocommerce_add_to_cart', $record, 50, 0 );
		add_action( 'woocommerce_cart_item_removed', $record, 50, 0 );
		add_action( 'woocommerce_cart_item_restored', $record, 50, 0 );
		add_action( 'woocommerce_after_cart_item_quantity_update', $record, 50, 0 );
		add_action( 'woocommerce_cart_emptied', $record, 50, 0 );
	}

	public function record(): void {
		$cart = WC()->cart;
		$key  = $this->identity->cart_key();
		if ( ! $cart || null === $key ) {
			return;
		}
		$data = array(
			'cart_key' => $key,
			'items'    => self::items( $cart->get_cart() ),
			'currency' => get_woocommerce_currency(),
			'total'    => wc_format_decimal( $cart->get_total( 'edit' ), 2 ),
		);
		$email = $this->identity->cart_email();
		if ( $email ) {
			$data['email'] = $email;
		}
		if ( get_current_user_id() ) {
			$data['customer_id'] = get_current_user_id();
		}
		// One snapshot per cart per request: later changes in the same request replace it.
		$this->outbox->record( 'cart.updated', $data, 'cart:' . $key );
	}

	/**
	 * Line items as docs/events.md describes them.
	 *
	 * @param array<string,array<string,mixed>> $contents WC_Cart::get_cart().
	 * @return array<int,array<string,mixed>>
	 */
	public static function items( array $contents ): array {
		$items = array();
		foreach ( $contents as $item ) {
			$product = $item['data'] ?? null;
			$price   = $product ? (string) $product->get_price() : '';
			$line    = array(
				'product_id'   => (int) $item['product_id'],
				'variation_id' => (int) ( $item['variation_id'] ?? 0 ),
				'quantity'     => (int) $item['quantity'],
			);
			if ( is_numeric( $price ) ) {
				$line['price'] = wc_format_decimal( $price, 2 );
				$line['total'] = isset( $item['line_total'] ) ? wc_format_decimal( $item['line_total'], 2 ) : wc_format_decimal( (float) $price * (int) $item['quantity'], 2 );
			}
			if ( $product ) {
				$line['name'] = wp_strip_all_tags( $product->get_name() );
			}
			$items[] = $line;
		}
		return $items;
	}
}
