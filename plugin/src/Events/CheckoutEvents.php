<?php
/**
 * checkout.started: a guest's e-mail address as they type it, on the classic checkout (debounced
 * AJAX) and the block checkout (Store API hooks).
 *
 * @package Retain
 */

namespace Retain\Events;

use Retain\Consent;
use Retain\Guard;
use Retain\Identity;
use Retain\Outbox;
use Retain\Plugin;
use Retain\Settings;

defined( 'ABSPATH' ) || exit;

final class CheckoutEvents {
	public const AJAX_ACTION = 'retain_capture_email';

	private Outbox $outbox;
	private Settings $settings;
	private Consent $consent;
	private Identity $identity;

	public function __construct( Outbox $outbox, Settings $settings, Consent $consent, Identity $identity ) {
		$this->outbox   = $outbox;
		$this->settings = $settings;
		$this->consent  = $consent;
		$this->identity = $identity;
	}

	public function register(): void {
		add_action( 'wp_enqueue_scripts', Guard::action( array( $this, 'enqueue' ) ) );
		add_action( 'wp_ajax_' . self::AJAX_ACTION, array( $this, 'ajax_capture' ) );
		add_action( 'wp_ajax_nopriv_' . self::AJAX_ACTION, array( $this, 'ajax_capture' ) );
		add_action( 'woocommerce_store_api_cart_update_customer_from_request', Guard::action( array( $this, 'on_store_api_customer' ) ), 50, 2 );
		add_action( 'woocommerce_store_api_checkout_update_order_from_request', Guard::action( array( $this, 'on_store_api_order' ) ), 50, 2 );
	}

	public function enqueue(): void {
		if ( ! $this->settings->capture_guest_email() || is_user_logged_in() || ! is_checkout() ) {
			return;
		}
		wp_enqueue_script( 'retain-checkout', plugins_url( 'assets/checkout.js', Plugin::instance()->file ), array(), Plugin::VERSION, true );
		wp_localize_script(
			'retain-checkout',
			'retainCheckout',
			array(
				'url'    => admin_url( 'admin-ajax.php' ),
				'action' => self::AJAX_ACTION,
				'nonce'  => wp_create_nonce( self::AJAX_ACTION ),
				'field'  => Consent::FIELD,
			)
		);
	}

	/** The classic checkout's debounced AJAX call. */
	public function ajax_capture(): void {
		try {
			if ( ! check_ajax_referer( self::AJAX_ACTION, 'nonce', false ) ) {
				wp_send_json_error( array( 'code' => 'bad_nonce' ), 403 );
			}
			$email   = isset( $_POST['email'] ) ? sanitize_email( wp_unslash( $_POST['email'] ) ) : '';
			$consent = ! empty( $_POST['consent'] );
			if ( ! $this->settings->capture_guest_email() || ! is_email( $email ) ) {
				wp_send_json_error( array( 'code' => 'ignored' ), 400 );
			}
			$this->capture( $email, $consent );
			wp_send_json_success();
		} catch ( \Throwable $e ) {
			Guard::log( $e, 'email capture' );
			wp_send_json_error( array( 'code' => 'error' ), 500 );
		}
	}

	/** @param \WC_Customer $customer */
	public function on_store_api_customer( $customer, $request = null ): void {
		if ( $this->settings->capture_guest_email() && ! is_user_logged_in() ) {
			$this->capture( (string) $customer->get_billing_email(), false );
		}
	}

	/** @param \WC_Order $order */
	public function on_store_api_order( $order, $request = null ): void {
		if ( $this->settings->capture_guest_email() && ! is_user_logged_in() ) {
			$this->capture( (string) $order->get_billing_email(), false );
		}
	}

	/**
	 * Records checkout.started once per address and cart; later cart snapshots carry the address.
	 * The consent evidence rides along only when the shopper ticked the box.
	 */
	public function capture( string $email, bool $consent ): void {
		$email = strtolower( trim( $email ) );
		if ( ! is_email( $email ) ) {
			return;
		}
		$cart_key = $this->identity->cart_key();
		$seen     = WC()->session ? WC()->session->get( 'retain_captured' ) : null;
		$marker   = md5( $email . '|' . $cart_key . '|' . ( $consent ? '1' : '0' ) );
		if ( $seen === $marker ) {
			return;
		}
		if ( WC()->session ) {
			WC()->session->set( 'retain_captured', $marker );
		}
		$this->identity->set_session_email( $email );
		$data = array( 'email' => $email );
		if ( $cart_key ) {
			$data['cart_key'] = $cart_key;
		}
		if ( $consent ) {
			$data['consent'] = $this->consent->evidence( 'checkout' );
		}
		$this->outbox->record( 'checkout.started', $data );
	}
}
