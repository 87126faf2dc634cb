<?php
/**
 * Who the shopper is: the logged-in customer, or a visitor identified by a first-party cookie
 * (set when they signed up or came back through a Retain link), plus the cart key we send.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Identity {
	public const COOKIE       = 'retain_visitor';
	public const LINK_PARAM   = 'retain_v';
	private const COOKIE_DAYS = 365;

	private Signer $signer;
	private ?string $cookie_email = null;

	public function __construct( Signer $signer ) {
		$this->signer = $signer;
	}

	public function register(): void {
		add_action( 'template_redirect', Guard::action( array( $this, 'capture_link' ) ), 5 );
	}

	/** A Retain e-mail link may carry ?retain_v=<visitor token>: remember who clicked. */
	public function capture_link(): void {
		if ( empty( $_GET[ self::LINK_PARAM ] ) ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a signed token, not a form.
			return;
		}
		$payload = $this->signer->read_token( sanitize_text_field( wp_unslash( $_GET[ self::LINK_PARAM ] ) ), 'visitor' ); // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		if ( $payload && isset( $payload['e'] ) && is_email( $payload['e'] ) ) {
			$this->remember( (string) $payload['e'] );
		}
	}

	/** Sets the visitor cookie: a signed token, so nobody can claim someone else's address. */
	public function remember( string $email ): void {
		$email = strtolower( trim( $email ) );
		$token = $this->signer->token(
			array(
				'p' => 'visitor',
				'x' => time() + self::COOKIE_DAYS * DAY_IN_SECONDS,
				'e' => $email,
			)
		);
		$this->cookie_email = $email;
		$_COOKIE[ self::COOKIE ] = $token;
		if ( ! headers_sent() ) {
			setcookie(
				self::COOKIE,
				$token,
				array(
					'expires'  => time() + self::COOKIE_DAYS * DAY_IN_SECONDS,
					'path'     => COOKIEPATH ? COOKIEPATH : '/',
					'domain'   => COOKIE_DOMAIN ? COOKIE_DOMAIN : '',
					'secure'   => is_ssl(),
					'httponly' => true,
					'samesite' => 'Lax',
				)
			);
		}
	}

	/** The visitor's address from the cookie, if it carries a valid token. */
	public function cookie_email(): ?string {
		if ( null === $this->cookie_email && ! empty( $_COOKIE[ self::COOKIE ] ) ) {
			$payload            = $this->signer->read_token( sanitize_text_field( wp_unslash( $_COOKIE[ self::COOKIE ] ) ), 'visitor' );
			$this->cookie_email = ( $payload && isset( $payload['e'] ) && is_email( $payload['e'] ) ) ? (string) $payload['e'] : '';
		}
		return '' === $this->cookie_email ? null : $this->cookie_email;
	}

	/**
	 * The contact reference for a browsing event: customer id and/or e-mail, or null if unknown.
	 *
	 * @return array<string,mixed>|null
	 */
	public function known_visitor(): ?array {
		$user_id = get_current_user_id();
		if ( $user_id ) {
			$user = get_userdata( $user_id );
			return array_filter(
				array(
					'customer_id' => $user_id,
					'email'       => $user ? strtolower( $user->user_email ) : null,
				)
			);
		}
		$email = $this->cookie_email() ?? $this->session_email();
		return $email ? array( 'email' => $email ) : null;
	}

	/** The e-mail we know for this shopper's cart, if any. */
	public function cart_email(): ?string {
		$user_id = get_current_user_id();
		if ( $user_id && WC()->customer && WC()->customer->get_billing_email() ) {
			return strtolower( WC()->customer->get_billing_email() );
		}
		if ( $user_id ) {
			$user = get_userdata( $user_id );
			return $user ? strtolower( $user->user_email ) : null;
		}
		return $this->session_email() ?? $this->cookie_email();
	}

	public function session_email(): ?string {
		$email = WC()->session ? WC()->session->get( 'retain_email' ) : null;
		return is_string( $email ) && '' !== $email ? $email : null;
	}

	public function set_session_email( string $email ): void {
		if ( WC()->session ) {
			WC()->session->set( 'retain_email', strtolower( trim( $email ) ) );
		}
	}

	/** Our own stable key for this shopper's cart, kept in the WooCommerce session. */
	public function cart_key(): ?string {
		if ( ! WC()->session ) {
			return null;
		}
		$key = WC()->session->get( 'retain_cart_key' );
		if ( ! is_string( $key ) || '' === $key ) {
			$key = str_replace( '-', '', wp_generate_uuid4() );
			WC()->session->set( 'retain_cart_key', $key );
		}
		return $key;
	}

	/** The shopper's IP address, for consent evidence only. */
	public static function ip(): ?string {
		$ip = class_exists( '\WC_Geolocation' ) ? \WC_Geolocation::get_ip_address() : ( isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '' );
		return filter_var( $ip, FILTER_VALIDATE_IP ) ? $ip : null;
	}
}
