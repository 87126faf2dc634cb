<?php
/**
 * The newsletter sign-up form: the [retain_signup] shortcode and the retain/signup block, both
 * posting to admin-post.php → subscriber.created with consent evidence.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Signup {
	public const ACTION = 'retain_signup';

	private Outbox $outbox;
	private Consent $consent;
	private Identity $identity;

	public function __construct( Outbox $outbox, Consent $consent, Identity $identity ) {
		$this->outbox   = $outbox;
		$this->consent  = $consent;
		$this->identity = $identity;
	}

	public function register(): void {
		add_shortcode( 'retain_signup', array( $this, 'render' ) );
		add_action( 'admin_post_nopriv_' . self::ACTION, array( $this, 'handle_post' ) );
		add_action( 'admin_post_' . self::ACTION, array( $this, 'handle_post' ) );
		add_action( 'init', Guard::action( array( $this, 'register_block' ) ) );
	}

	public function register_block(): void {
		if ( ! function_exists( 'register_block_type' ) ) {
			return;
		}
		wp_register_script(
			'retain-signup-block',
			plugins_url( 'assets/signup-block.js', Plugin::instance()->file ),
			array( 'wp-blocks', 'wp-element', 'wp-i18n', 'wp-server-side-render' ),
			Plugin::VERSION,
			true
		);
		register_block_type(
			'retain/signup',
			array(
				'api_version'     => 2,
				'editor_script'   => 'retain-signup-block',
				'render_callback' => array( $this, 'render' ),
				'attributes'      => array(
					'title' => array(
						'type'    => 'string',
						'default' => '',
					),
				),
			)
		);
	}

	/** @param array<string,string>|string $atts Shortcode or block attributes. */
	public function render( $atts = array() ): string {
		try {
			$atts   = shortcode_atts( array( 'title' => __( 'Get our news and offers', 'retain' ) ), is_array( $atts ) ? $atts : array(), 'retain_signup' );
			$status = isset( $_GET['retain_signup'] ) ? sanitize_key( wp_unslash( $_GET['retain_signup'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- display only.
			$note   = '';
			if ( 'ok' === $status ) {
				$note = '<p class="retain-signup__ok" role="status">' . esc_html__( 'Thank you! You are signed up.', 'retain' ) . '</p>';
			} elseif ( 'consent' === $status ) {
				$note = '<p class="retain-signup__error" role="alert">' . esc_html__( 'Please tick the box to agree to receive our e-mails.', 'retain' ) . '</p>';
			} elseif ( 'email' === $status ) {
				$note = '<p class="retain-signup__error" role="alert">' . esc_html__( 'Please enter a valid e-mail address.', 'retain' ) . '</p>';
			}
			$title = '' !== trim( (string) $atts['title'] ) ? '<h3 class="retain-signup__title">' . esc_html( $atts['title'] ) . '</h3>' : '';
			return '<form class="retain-signup" method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">'
				. $title . $note
				. '<input type="hidden" name="action" value="' . esc_attr( self::ACTION ) . '" />'
				. wp_nonce_field( self::ACTION, '_retain_nonce', true, false )
				. '<p><label for="retain_signup_email">' . esc_html__( 'E-mail address', 'retain' ) . '</label> '
				. '<input type="email" name="email" id="retain_signup_email" required autocomplete="email" /></p>'
				. '<p><label for="retain_signup_first_name">' . esc_html__( 'First name (optional)', 'retain' ) . '</label> '
				. '<input type="text" name="first_name" id="retain_signup_first_name" autocomplete="given-name" /></p>'
				. $this->consent->checkbox_html( Consent::FIELD, 'retain_signup_consent' )
				. '<p><button type="submit">' . esc_html__( 'Sign up', 'retain' ) . '</button></p>'
				. '</form>';
		} catch ( \Throwable $e ) {
			Guard::log( $e, 'signup form' );
			return '';
		}
	}

	public function handle_post(): void {
		$back = wp_get_referer() ? wp_get_referer() : home_url( '/' );
		try {
			$result = $this->handle( wp_unslash( $_POST ) ); // phpcs:ignore WordPress.Security.NonceVerification.Missing -- handle() verifies it.
		} catch ( \Throwable $e ) {
			Guard::log( $e, 'signup' );
			$result = 'error';
		}
		wp_safe_redirect( add_query_arg( 'retain_signup', $result, $back ) );
		exit;
	}

	/**
	 * Validates and records a sign-up. Returns a status word for the form: ok, consent, email, nonce.
	 *
	 * @param array<string,mixed> $input Unslashed POST data.
	 */
	public function handle( array $input ): string {
		if ( ! isset( $input['_retain_nonce'] ) || ! wp_verify_nonce( (string) $input['_retain_nonce'], self::ACTION ) ) {
			return 'nonce';
		}
		$email = sanitize_email( (string) ( $input['email'] ?? '' ) );
		if ( ! is_email( $email ) ) {
			return 'email';
		}
		if ( empty( $input[ Consent::FIELD ] ) ) {
			return 'consent';
		}
		$data = array(
			'email'   => strtolower( $email ),
			'consent' => $this->consent->evidence( 'signup_form' ),
			'locale'  => determine_locale(),
		);
		$first = sanitize_text_field( (string) ( $input['first_name'] ?? '' ) );
		if ( '' !== $first ) {
			$data['first_name'] = mb_substr( $first, 0, 200 );
		}
		if ( get_current_user_id() ) {
			$data['customer_id'] = get_current_user_id();
		}
		$this->outbox->record( 'subscriber.created', $data );
		$this->identity->remember( $email );
		return 'ok';
	}
}
