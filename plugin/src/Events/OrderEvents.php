<?php
/**
 * order.created, order.status_changed and order.refunded, for classic and block checkout alike.
 *
 * @package Retain
 */

namespace Retain\Events;

use Retain\Guard;
use Retain\Outbox;

defined( 'ABSPATH' ) || exit;

final class OrderEvents {
	/** Statuses of orders that do not exist yet for the shopper (block checkout and admin drafts). */
	private const DRAFTS = array( 'checkout-draft', 'auto-draft', 'draft', 'new' );
	private const ATTRIBUTION_PREFIX = '_wc_order_attribution_';

	private Outbox $outbox;

	public function __construct( Outbox $outbox ) {
		$this->outbox = $outbox;
	}

	public function register(): void {
		add_action( 'woocommerce_new_order', Guard::action( array( $this, 'on_new_order' ) ), 50, 2 );
		add_action( 'woocommerce_checkout_order_processed', Guard::action( array( $this, 'on_checkout_processed' ) ), 50, 3 );
		add_action( 'woocommerce_store_api_checkout_order_processed', Guard::action( array( $this, 'on_store_api_processed' ) ), 50 );
		add_action( 'woocommerce_order_status_changed', Guard::action( array( $this, 'on_status_changed' ) ), 50, 4 );
		add_action( 'woocommerce_order_refunded', Guard::action( array( $this, 'on_refunded' ) ), 50, 2 );
	}

	public function on_new_order( $order_id, $order = null ): void {
		$order = $order ? $order : wc_get_order( $order_id );
		if ( $order && ! in_array( $order->get_status(), self::DRAFTS, true ) ) {
			$this->created( $order );
		}
	}

	public function on_checkout_processed( $order_id, $posted = array(), $order = null ): void {
		$order = $order ? $order : wc_get_order( $order_id );
		if ( $order ) {
			$this->created( $order );
		}
	}

	public function on_store_api_processed( $order ): void {
		$this->created( $order );
	}

	public function on_status_changed( $order_id, $from, $to, $order = null ): void {
		$order = $order ? $order : wc_get_order( $order_id );
		if ( ! $order ) {
			return;
		}
		if ( in_array( $to, self::DRAFTS, true ) ) {
			return;
		}
		if ( in_array( $from, self::DRAFTS, true ) ) {
			// A draft became a real order: that is its creation, not a status change.
			$this->created( $order );
			return;
		}
		$this->outbox->record(
			'order.status_changed',
			self::contact( $order ) + array(
				'order_id' => (int) $order->get_id(),
				'from'     => (string) $from,
				'to'       => (string) $to,
				'total'    => wc_format_decimal( $order->get_total( 'edit' ), 2 ),
				'currency' => $order->get_currency(),
			)
		);
	}

	public function on_refunded( $order_id, $refund_id ): void {
		$order  = wc_get_order( $order_id );
		$refund = wc_get_order( $refund_id );
		if ( ! $order || ! $refund ) {
			return;
		}
		$data = self::contact( $order ) + array(
			'order_id'  => (int) $order_id,
			'refund_id' => (int) $refund_id,
			'amount'    => wc_format_decimal( $refund->get_amount(), 2 ),
		);
		$reason = (string) $refund->get_reason();
		if ( '' !== $reason ) {
			$data['reason'] = mb_substr( $reason, 0, 500 );
		}
		$this->outbox->record( 'order.refunded', $data );
	}

	private function created( $order ): void {
		$id = (int) $order->get_id();
		if ( ! $this->outbox->first_in_request( 'order.created:' . $id ) ) {
			return;
		}
		$created_at = $order->get_date_created();
		$customer   = (int) $order->get_customer_id();
		$locale     = $customer ? (string) get_user_meta( $customer, 'locale', true ) : '';
		$country    = strtoupper( (string) $order->get_billing_country() );
		$data       = self::contact( $order ) + array(
			'order_id'    => $id,
			'status'      => (string) $order->get_status(),
			'currency'    => (string) $order->get_currency(),
			'total'       => wc_format_decimal( $order->get_total( 'edit' ), 2 ),
			'created_at'  => $created_at ? $created_at->format( DATE_ATOM ) : null,
			'items'       => self::items( $order ),
			'attribution' => self::attribution( $order ),
			'locale'      => '' !== $locale ? $locale : get_locale(),
			'billing_country' => preg_match( '/^[A-Z]{2}$/', $country ) ? $country : null,
		);
		$this->outbox->record( 'order.created', array_filter( $data, static fn( $v ) => null !== $v && array() !== $v ) );
	}

	/** @return array<string,mixed> */
	private static function contact( $order ): array {
		$email = (string) $order->get_billing_email();
		$out   = array( 'customer_id' => (int) $order->get_customer_id() );
		if ( is_email( $email ) ) {
			$out['email'] = strtolower( $email );
		}
		return $out;
	}

	/** @return array<int,array<string,mixed>> */
	private static function items( $order ): array {
		$items = array();
		foreach ( $order->get_items( 'line_item' ) as $item ) {
			$qty     = (int) $item->get_quantity();
			$items[] = array(
				'product_id'   => (int) $item->get_product_id(),
				'variation_id' => (int) $item->get_variation_id(),
				'quantity'     => $qty,
				'price'        => wc_format_decimal( $qty > 0 ? (float) $item->get_subtotal() / $qty : 0, 2 ),
				'total'        => wc_format_decimal( $item->get_total(), 2 ),
				'name'         => wp_strip_all_tags( (string) $item->get_name() ),
			);
		}
		return $items;
	}

	/** WooCommerce's order attribution meta, without its prefix. @return array<string,string> */
	private static function attribution( $order ): array {
		$out = array();
		foreach ( $order->get_meta_data() as $meta ) {
			$key = (string) $meta->key;
			if ( 0 === strpos( $key, self::ATTRIBUTION_PREFIX ) && is_scalar( $meta->value ) ) {
				$out[ substr( $key, strlen( self::ATTRIBUTION_PREFIX ) ) ] = mb_substr( (string) $meta->value, 0, 500 );
			}
		}
		return $out;
	}
}
