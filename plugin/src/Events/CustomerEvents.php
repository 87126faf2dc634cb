<?php
/**
 * customer.created and customer.updated, plus the optional birthday on the account page.
 *
 * @package Retain
 */

namespace Retain\Events;

use Retain\Consent;
use Retain\Guard;
use Retain\Outbox;

defined( 'ABSPATH' ) || exit;

final class CustomerEvents {
	public const BIRTHDAY_META = 'retain_birthday';

	private Outbox $outbox;
	private Consent $consent;

	public function __construct( Outbox $outbox, Consent $consent ) {
		$this->outbox  = $outbox;
		$this->consent = $consent;
	}

	public function register(): void {
		add_action( 'user_register', Guard::action( array( $this, 'on_created' ) ), 20 );
		add_action( 'woocommerce_created_customer', Guard::action( array( $this, 'on_created' ) ), 20 );
		add_action( 'profile_update', Guard::action( array( $this, 'on_updated' ) ), 20 );
		add_action( 'woocommerce_save_account_details', Guard::action( array( $this, 'save_birthday' ) ), 5 );
		add_action( 'woocommerce_save_account_details', Guard::action( array( $this, 'on_updated' ) ), 30 );
		add_action( 'woocommerce_customer_save_address', Guard::action( array( $this, 'on_updated' ) ), 20 );
		add_action( 'woocommerce_edit_account_form', Guard::action( array( $this, 'render_birthday' ) ), 5 );
	}

	public function on_created( $user_id ): void {
		$data = $this->snapshot( (int) $user_id );
		if ( null === $data || ! isset( $data['email'] ) || ! $this->outbox->first_in_request( 'customer.created:' . $user_id ) ) {
			return;
		}
		if ( $this->consent->is_subscribed( (int) $user_id ) ) {
			$data['marketing_consent'] = $this->consent->evidence( 'account' );
		}
		$this->outbox->record( 'customer.created', $data );
	}

	/** Several hooks fire for one save; a snapshot identical to one already sent adds nothing. */
	public function on_updated( $user_id ): void {
		$user_id = (int) $user_id;
		$data    = $this->snapshot( $user_id );
		if ( null === $data || $this->outbox->seen_in_request( 'customer.created:' . $user_id ) ) {
			return;
		}
		if ( ! $this->outbox->first_in_request( 'customer.updated:' . $user_id, md5( (string) wp_json_encode( $data ) ) ) ) {
			return;
		}
		$this->outbox->record( 'customer.updated', $data, 'customer:' . $user_id );
	}

	/** @return array<string,mixed>|null */
	private function snapshot( int $user_id ): ?array {
		$user = get_userdata( $user_id );
		if ( ! $user ) {
			return null;
		}
		$locale   = (string) get_user_meta( $user_id, 'locale', true );
		$country  = strtoupper( (string) get_user_meta( $user_id, 'billing_country', true ) );
		$birthday = (string) get_user_meta( $user_id, self::BIRTHDAY_META, true );
		return array_filter(
			array(
				'customer_id'     => $user_id,
				'email'           => is_email( $user->user_email ) ? strtolower( $user->user_email ) : null,
				'first_name'      => (string) $user->first_name,
				'last_name'       => (string) $user->last_name,
				'locale'          => '' !== $locale ? $locale : get_locale(),
				'billing_country' => preg_match( '/^[A-Z]{2}$/', $country ) ? $country : null,
				'birthday'        => preg_match( '/^\d{4}-\d{2}-\d{2}$/', $birthday ) ? $birthday : null,
			),
			static fn( $v ) => null !== $v && '' !== $v
		);
	}

	public function render_birthday(): void {
		$value = (string) get_user_meta( get_current_user_id(), self::BIRTHDAY_META, true );
		printf(
			'<p class="woocommerce-form-row form-row form-row-wide"><label for="retain_birthday">%s</label><input type="date" class="woocommerce-Input input-text" name="retain_birthday" id="retain_birthday" value="%s" /></p>',
			esc_html__( 'Birthday (optional, for a birthday surprise)', 'retain' ),
			esc_attr( $value )
		);
	}

	/** Runs inside WooCommerce's account-details save, after it verified the form's nonce. */
	public function save_birthday( $user_id ): void {
		if ( ! isset( $_POST['retain_birthday'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Missing
			return;
		}
		$value = sanitize_text_field( wp_unslash( $_POST['retain_birthday'] ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing
		if ( '' === $value ) {
			delete_user_meta( (int) $user_id, self::BIRTHDAY_META );
		} elseif ( preg_match( '/^\d{4}-\d{2}-\d{2}$/', $value ) && checkdate( (int) substr( $value, 5, 2 ), (int) substr( $value, 8, 2 ), (int) substr( $value, 0, 4 ) ) ) {
			update_user_meta( (int) $user_id, self::BIRTHDAY_META, $value );
		}
	}
}
