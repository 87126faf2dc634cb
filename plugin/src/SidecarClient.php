<?php
/**
 * Signed HTTP to the sidecar. Never logs bodies: they hold addresses.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class SidecarClient {
	private Settings $settings;
	private Signer $signer;

	public function __construct( Settings $settings, Signer $signer ) {
		$this->settings = $settings;
		$this->signer   = $signer;
	}

	/**
	 * One request. The answer: status (0 for a network error), decoded JSON body, error code.
	 *
	 * @return array{status:int,body:mixed,error:?string,retry_after:?int}
	 */
	public function request( string $method, string $path, string $body = '', bool $signed = true, int $timeout = 10 ): array {
		$base = $this->settings->sidecar_url();
		if ( '' === $base ) {
			return array(
				'status'      => 0,
				'body'        => null,
				'error'       => 'not_configured',
				'retry_after' => null,
			);
		}
		$headers = array( 'Accept' => 'application/json' );
		if ( '' !== $body ) {
			$headers['Content-Type'] = 'application/json';
		}
		if ( $signed ) {
			$headers += $this->signer->headers( $body );
		}
		$response = wp_remote_request(
			$base . $path,
			array(
				'method'      => $method,
				'headers'     => $headers,
				'body'        => '' === $body ? null : $body,
				'timeout'     => $timeout,
				'redirection' => 0,
				'user-agent'  => 'Retain/' . Plugin::VERSION . '; ' . home_url( '/' ),
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'status'      => 0,
				'body'        => null,
				'error'       => 'network_error',
				'retry_after' => null,
			);
		}
		$status  = (int) wp_remote_retrieve_response_code( $response );
		$decoded = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$code    = is_array( $decoded ) && isset( $decoded['error']['code'] ) ? (string) $decoded['error']['code'] : null;
		$retry   = wp_remote_retrieve_header( $response, 'retry-after' );
		return array(
			'status'      => $status,
			'body'        => $decoded,
			'error'       => $status >= 400 ? ( $code ?? 'http_' . $status ) : null,
			'retry_after' => is_numeric( $retry ) ? (int) $retry : null,
		);
	}

	public function post_events( string $body ): array {
		return $this->request( 'POST', '/v1/events', $body, true, 15 );
	}

	/** Liveness is unsigned; the status call proves both sides share the secret. */
	public function health(): array {
		return $this->request( 'GET', '/v1/health', '', false, 5 );
	}

	public function admin_status(): array {
		return $this->request( 'GET', '/v1/admin/status', '', true, 5 );
	}

	public function cart( string $cart_key ): array {
		return $this->request( 'GET', '/v1/carts/' . rawurlencode( $cart_key ), '', true, 5 );
	}

	public function export_contact( string $email ): array {
		return $this->request( 'GET', '/v1/admin/contacts/' . rawurlencode( strtolower( $email ) ) . '/export' );
	}

	public function flows(): array {
		return $this->request( 'GET', '/v1/admin/flows' );
	}

	/** @param array<string,mixed> $changes enabled, steps, settings (docs/events.md). */
	public function save_flow( string $id, array $changes ): array {
		return $this->request( 'PUT', '/v1/admin/flows/' . rawurlencode( $id ), (string) wp_json_encode( (object) $changes ) );
	}

	/** Both days are shop days (YYYY-MM-DD), both included (docs/reports.md). */
	public function reports( string $from, string $to ): array {
		return $this->request( 'GET', '/v1/admin/reports?' . http_build_query( array( 'from' => $from, 'to' => $to ) ), '', true, 20 );
	}

	/** @param array<string,mixed> $target flow, step, email?, locale?, source? (an unsaved edit) */
	public function preview_template( array $target ): array {
		return $this->request( 'POST', '/v1/admin/templates/preview', self::json( $target ), true, 20 );
	}

	/** Every flow step's template: flow, step, template, overridden, updated_at. */
	public function templates(): array {
		return $this->request( 'GET', '/v1/admin/templates' );
	}

	/** One step's template: source (the effective file text), default_source, overridden, updated_at. */
	public function template( string $flow, int $step ): array {
		return $this->request( 'GET', self::template_path( $flow, $step ) );
	}

	/** Saves an edited template (the whole file text); 422 template_invalid lists the problems. */
	public function save_template( string $flow, int $step, string $source ): array {
		return $this->request( 'PUT', self::template_path( $flow, $step ), self::json( array( 'source' => $source ) ), true, 20 );
	}

	/** Back to the shipped default. */
	public function restore_template( string $flow, int $step ): array {
		return $this->request( 'DELETE', self::template_path( $flow, $step ) );
	}

	private static function template_path( string $flow, int $step ): string {
		return '/v1/admin/templates/' . rawurlencode( $flow ) . '/' . $step;
	}

	/** JSON without escaped slashes or non-ASCII: a template is mostly markup, and the sidecar caps the body's size. */
	private static function json( array $value ): string {
		return (string) wp_json_encode( $value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
	}

	/** @param array<string,mixed> $target flow, step, to, email? */
	public function test_send( array $target ): array {
		return $this->request( 'POST', '/v1/admin/templates/test-send', (string) wp_json_encode( $target ), true, 30 );
	}

	public function timeline( string $email ): array {
		return $this->request( 'GET', '/v1/contacts/' . rawurlencode( strtolower( $email ) ) . '/timeline' );
	}

	public function erase_contact( string $email ): array {
		return $this->request( 'POST', '/v1/admin/contacts/' . rawurlencode( strtolower( $email ) ) . '/erase', '{}' );
	}
}
