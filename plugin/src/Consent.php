<?php
/**
 * Marketing consent: the opt-in checkboxes (classic checkout, block checkout, account page) and
 * the evidence we record. A box is never pre-ticked, and leaving it unticked never unsubscribes
 * anyone: withdrawing consent happens through the unsubscribe link or the preference centre.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Consent {
	public const FIELD       = 'retain_marketing_consent';
	public const BLOCK_FIELD = 'retain/marketing-consent';
	/** Where WooCommerce stores an "order" additional checkout field (CheckoutFields::OTHER_FIELDS_PREFIX). */
	public const BLOCK_META = '_wc_other/retain/marketing-consent';
	public const USER_META  = 'retain_marketing_consent';

	private Settings $settings;
	private Outbox $outbox;

	public function __construct( Settings $settings, Outbox $outbox ) {
		$this->settings = $settings;
		$this->outbox   = $outbox;
	}

	public function register(): void {
		add_action( 'woocommerce_review_order_before_submit', Guard::action( array( $this, 'render_checkout_checkbox' ) ) );
		add_action( 'woocommerce_checkout_order_processed', Guard::action( array( $this, 'on_classic_checkout' ) ), 20, 3 );
		add_action( 'woocommerce_init', Guard::action( array( $this, 'register_block_field' ) ) );
		add_action( 'woocommerce_store_api_checkout_order_processed', Guard::action( array( $this, 'on_block_checkout' ) ), 20 );
		add_action( 'woocommerce_edit_account_form', Guard::action( array( $this, 'render_account_checkbox' ) ) );
		add_action( 'woocommerce_save_account_details', Guard::action( array( $this, 'on_account_saved' ) ), 20 );
	}

	/**
	 * The evidence object of docs/events.md: what was shown, which version, where, from which IP.
	 *
	 * @return array<string,string>
	 */
	public function evidence( string $source, string $state = 'granted' ): array {
		return array_filter(
			array(
				'state'        => $state,
				'source'       => $source,
				'text'         => $this->settings->consent_text(),
				'text_version' => $this->settings->consent_text_version(),
				'ip'           => Identity::ip(),
			)
		);
	}

	public function is_subscribed( int $user_id ): bool {
		return $user_id > 0 && 'granted' === get_user_meta( $user_id, self::USER_META, true );
	}

	/** Records a grant: a consent.changed event, and the customer's own flag. */
	public function grant( string $email, int $customer_id, string $source ): void {
		if ( ! is_email( $email ) ) {
			return;
		}
		$this->outbox->record(
			'consent.changed',
			array_filter(
				array(
					'email'       => strtolower( $email ),
					'customer_id' => $customer_id ?: null,
					'purpose'     => 'marketing',
					'consent'     => $this->evidence( $source ),
				)
			)
		);
		if ( $customer_id > 0 ) {
			update_user_meta( $customer_id, self::USER_META, 'granted' );
		}
	}

	/** The HTML of an opt-in checkbox. Deliberately has no way to render it ticked. */
	public function checkbox_html( string $name, string $id ): string {
		return sprintf(
			'<p class="form-row retain-consent"><label class="woocommerce-form__label woocommerce-form__label-for-checkbox checkbox" for="%2$s"><input type="checkbox" class="woocommerce-form__input woocommerce-form__input-checkbox input-checkbox" name="%1$s" id="%2$s" value="1" /> <span>%3$s</span></label></p>',
			esc_attr( $name ),
			esc_attr( $id ),
			esc_html( $this->settings->consent_text() )
		);
	}

	public function render_checkout_checkbox(): void {
		if ( $this->is_subscribed( get_current_user_id() ) ) {
			return;
		}
		echo $this->checkbox_html( self::FIELD, self::FIELD ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in checkbox_html().
	}

	/**
	 * Classic checkout. WooCommerce has verified its checkout nonce before this hook fires.
	 *
	 * @param int       $order_id Order id.
	 * @param array     $posted   Posted checkout data.
	 * @param \WC_Order $order    The order.
	 */
	public function on_classic_checkout( $order_id, $posted = array(), $order = null ): void {
		if ( empty( $_POST[ self::FIELD ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing
			return; // Unticked: no change, never a withdrawal.
		}
		$order = $order ? $order : wc_get_order( $order_id );
		if ( ! $order ) {
			return;
		}
		$this->grant( (string) $order->get_billing_email(), (int) $order->get_customer_id(), 'checkout' );
	}

	/** Block checkout: an optional "order" checkbox through the additional checkout fields API (WC 8.9+). */
	public function register_block_field(): void {
		if ( ! function_exists( 'woocommerce_register_additional_checkout_field' ) ) {
			return;
		}
		woocommerce_register_additional_checkout_field(
			array(
				'id'       => self::BLOCK_FIELD,
				'label'    => $this->settings->consent_text(),
				'location' => 'order',
				'type'     => 'checkbox',
				'required' => false,
			)
		);
	}

	/** @param \WC_Order $order The order the Store API just placed. */
	public function on_block_checkout( $order ): void {
		$value = $order->get_meta( self::BLOCK_META );
		if ( true === $value || '1' === (string) $value || 'yes' === $value ) {
			$this->grant( (string) $order->get_billing_email(), (int) $order->get_customer_id(), 'checkout' );
		}
	}

	public function render_account_checkbox(): void {
		if ( $this->is_subscribed( get_current_user_id() ) ) {
			echo '<p class="retain-consent">' . esc_html__( 'You receive our e-mails. Every e-mail has a link to unsubscribe or change your preferences.', 'retain' ) . '</p>';
			return;
		}
		echo $this->checkbox_html( self::FIELD, self::FIELD ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in checkbox_html().
	}

	/** Account details form. WooCommerce has verified save-account-details-nonce before this hook. */
	public function on_account_saved( $user_id ): void {
		$user_id = (int) $user_id;
		if ( empty( $_POST[ self::FIELD ] ) || $this->is_subscribed( $user_id ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing
			return;
		}
		$user = get_userdata( $user_id );
		if ( $user ) {
			$this->grant( (string) $user->user_email, $user_id, 'account' );
		}
	}
}
