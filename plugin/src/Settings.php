<?php
/**
 * The plugin's settings: one option, with wp-config.php constants taking precedence.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Settings {
	public const OPTION = 'retain_settings';

	private const DEFAULTS = array(
		'sidecar_url'         => '',
		'secret'              => '',
		'consent_text'        => '',
		'capture_guest_email' => 'yes',
	);

	/** @return array<string,string> */
	public function all(): array {
		$saved = get_option( self::OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $saved ) ? $saved : array() );
	}

	public function sidecar_url(): string {
		$url = $this->url_locked() ? (string) RETAIN_SIDECAR_URL : $this->all()['sidecar_url'];
		return untrailingslashit( trim( $url ) );
	}

	public function secret(): string {
		return $this->secret_locked() ? (string) RETAIN_SECRET : (string) $this->all()['secret'];
	}

	public function url_locked(): bool {
		return defined( 'RETAIN_SIDECAR_URL' );
	}

	public function secret_locked(): bool {
		return defined( 'RETAIN_SECRET' );
	}

	public function is_configured(): bool {
		return '' !== $this->sidecar_url() && '' !== $this->secret();
	}

	/** The words shown next to every opt-in checkbox. */
	public function consent_text(): string {
		$text = trim( (string) $this->all()['consent_text'] );
		return '' !== $text ? $text : __( 'Send me news, offers and reminders by e-mail. I can unsubscribe at any time.', 'retain' );
	}

	/** Changes whenever the wording changes, so evidence names the exact text a shopper saw. */
	public function consent_text_version(): string {
		return 'v1-' . substr( hash( 'sha256', $this->consent_text() ), 0, 10 );
	}

	public function capture_guest_email(): bool {
		return 'yes' === $this->all()['capture_guest_email'];
	}

	/**
	 * Saves sanitized values. An empty secret keeps the saved one (the field never shows it).
	 *
	 * @param array<string,mixed> $input Raw (unslashed) input.
	 */
	public function update( array $input ): void {
		$current = $this->all();
		if ( ! $this->url_locked() && isset( $input['sidecar_url'] ) ) {
			$current['sidecar_url'] = esc_url_raw( trim( (string) $input['sidecar_url'] ), array( 'http', 'https' ) );
		}
		if ( ! $this->secret_locked() && isset( $input['secret'] ) && '' !== trim( (string) $input['secret'] ) ) {
			$current['secret'] = trim( (string) $input['secret'] );
		}
		if ( isset( $input['consent_text'] ) ) {
			$current['consent_text'] = sanitize_text_field( (string) $input['consent_text'] );
		}
		if ( array_key_exists( 'capture_guest_email', $input ) ) {
			$current['capture_guest_email'] = empty( $input['capture_guest_email'] ) ? 'no' : 'yes';
		}
		update_option( self::OPTION, $current );
	}
}
