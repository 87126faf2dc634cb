<?php
/**
 * Request signatures and signed link tokens, exactly as docs/events.md describes them.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Signer {
	public const MAX_SKEW = 300;

	private Settings $settings;

	public function __construct( Settings $settings ) {
		$this->settings = $settings;
	}

	/**
	 * Headers for a request whose raw body is $body ('' for a GET).
	 *
	 * @return array<string,string>
	 */
	public function headers( string $body, ?int $now = null ): array {
		$timestamp = (string) ( $now ?? time() );
		return array(
			'X-Retain-Timestamp' => $timestamp,
			'X-Retain-Signature' => hash_hmac( 'sha256', $timestamp . '.' . $body, $this->settings->secret() ),
		);
	}

	/**
	 * Checks a signed request. Returns null when it is good, else the error code to answer with.
	 */
	public function verify( string $body, ?string $timestamp, ?string $signature, ?int $now = null ): ?string {
		$secret = $this->settings->secret();
		if ( '' === $secret || null === $timestamp || null === $signature || '' === $timestamp || '' === $signature ) {
			return 'signature_missing';
		}
		if ( ! preg_match( '/^\d{1,12}$/', $timestamp ) ) {
			return 'signature_invalid';
		}
		$expected = hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
		if ( ! hash_equals( $expected, strtolower( $signature ) ) ) {
			return 'signature_invalid';
		}
		if ( abs( ( $now ?? time() ) - (int) $timestamp ) > self::MAX_SKEW ) {
			return 'timestamp_stale';
		}
		return null;
	}

	/**
	 * A signed link token: base64url(payload) "." base64url(HMAC(secret, "retain-token." + base64url(payload))).
	 *
	 * @param array<string,mixed> $payload Must hold "p" (purpose) and "x" (expiry, Unix seconds).
	 */
	public function token( array $payload ): string {
		$body = self::b64url_encode( (string) wp_json_encode( $payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );
		return $body . '.' . self::b64url_encode( hash_hmac( 'sha256', 'retain-token.' . $body, $this->settings->secret(), true ) );
	}

	/**
	 * The payload of a token for $purpose, or null when it is forged, expired, malformed or for
	 * another purpose.
	 *
	 * @return array<string,mixed>|null
	 */
	public function read_token( string $token, string $purpose, ?int $now = null ): ?array {
		$secret = $this->settings->secret();
		if ( '' === $secret || strlen( $token ) > 4096 || 1 !== substr_count( $token, '.' ) ) {
			return null;
		}
		list( $body, $mac ) = explode( '.', $token );
		$given              = self::b64url_decode( $mac );
		if ( null === $given || ! hash_equals( hash_hmac( 'sha256', 'retain-token.' . $body, $secret, true ), $given ) ) {
			return null;
		}
		$json    = self::b64url_decode( $body );
		$payload = null === $json ? null : json_decode( $json, true );
		if ( ! is_array( $payload ) || ( $payload['p'] ?? null ) !== $purpose || ! isset( $payload['x'] ) || ! is_numeric( $payload['x'] ) ) {
			return null;
		}
		if ( (int) $payload['x'] <= ( $now ?? time() ) ) {
			return null;
		}
		return $payload;
	}

	public static function b64url_encode( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_encode
	}

	/** Accepts padded and unpadded base64url. */
	public static function b64url_decode( string $text ): ?string {
		if ( ! preg_match( '/^[A-Za-z0-9_-]*={0,2}$/', $text ) ) {
			return null;
		}
		$raw = base64_decode( strtr( rtrim( $text, '=' ), '-_', '+/' ), true ); // phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.obfuscation_base64_decode
		return false === $raw ? null : $raw;
	}
}
