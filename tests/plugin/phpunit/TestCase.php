<?php
/**
 * Base case: each test runs in a transaction rolled back afterwards, with a fresh shopper, a
 * configured sidecar and every outgoing HTTP request captured (nothing leaves the machine).
 */

namespace Retain\Tests;

use Retain\Plugin;

/** Stops a handler where WordPress would redirect or die, so the test can look at what it did. */
final class Halt extends \RuntimeException {
	public function __construct( public string $kind, public string $where, public int $status = 0 ) {
		parent::__construct( $kind . ' ' . $where );
	}
}

abstract class TestCase extends \PHPUnit\Framework\TestCase {
	public const SECRET = 'test-secret-0123456789';
	public const URL    = 'http://sidecar.test:7400';

	/** @var array<int,array{url:string,args:array}> */
	protected array $requests = array();
	/** @var callable|null */
	private $responder;

	protected function setUp(): void {
		global $wpdb;
		parent::setUp();
		$wpdb->query( 'SET autocommit = 0' );
		$wpdb->query( 'START TRANSACTION' );
		wp_cache_flush();
		update_option(
			'retain_settings',
			array(
				'sidecar_url'         => self::URL,
				'secret'              => self::SECRET,
				'consent_text'        => '',
				'capture_guest_email' => 'yes',
			)
		);
		wp_set_current_user( 0 );
		WC()->reset_frontend( 0 );
		wc_clear_notices();
		$_POST   = array();
		$_GET    = array();
		$_COOKIE = array();
		\Retain_Standin_Logger::$lines = array();
		$this->plugin()->outbox->forget_request();
		$this->requests  = array();
		$this->responder = static fn() => array(
			'response' => array( 'code' => 202, 'message' => 'Accepted' ),
			'body'     => '{"accepted":1,"duplicates":0}',
			'headers'  => array(),
			'cookies'  => array(),
		);
		add_filter( 'pre_http_request', array( $this, 'capture_http' ), 10, 3 );
	}

	protected function tearDown(): void {
		global $wpdb;
		remove_filter( 'pre_http_request', array( $this, 'capture_http' ), 10 );
		$wpdb->query( 'ROLLBACK' );
		$wpdb->query( 'SET autocommit = 1' );
		wp_cache_flush();
		parent::tearDown();
	}

	protected function plugin(): Plugin {
		return Plugin::instance();
	}

	/** @internal the wp_redirect filter of tests that stop a handler where it would redirect */
	public function halt_redirect( $location ) {
		throw new Halt( 'redirect', (string) $location );
	}

	/** @internal the wp_die_handler filter: wp_die() becomes a Halt the test can catch */
	public function die_handler() {
		return static function ( $message, $title = '', $args = array() ) {
			throw new Halt( 'die', is_string( $message ) ? $message : '', (int) ( is_array( $args ) ? ( $args['response'] ?? 0 ) : 0 ) );
		};
	}

	/** @internal the pre_http_request filter */
	public function capture_http( $pre, $args, $url ) {
		$this->requests[] = array(
			'url'  => $url,
			'args' => $args,
		);
		return ( $this->responder )( $url, $args );
	}

	/** Sets how the fake network answers: a callable ( $url, $args ) → response array or WP_Error. */
	protected function respond_with( callable $responder ): void {
		$this->responder = $responder;
	}

	protected static function response( int $status, $body = array(), array $headers = array() ): array {
		return array(
			'response' => array( 'code' => $status, 'message' => '' ),
			'body'     => is_string( $body ) ? $body : wp_json_encode( $body ),
			'headers'  => $headers,
			'cookies'  => array(),
		);
	}

	/** Checks a captured request's signature the way the sidecar does. */
	protected function assertSignedRequest( array $request, string $secret = self::SECRET ): void {
		$headers = $request['args']['headers'];
		$body    = (string) ( $request['args']['body'] ?? '' );
		$this->assertArrayHasKey( 'X-Retain-Timestamp', $headers );
		$this->assertArrayHasKey( 'X-Retain-Signature', $headers );
		$this->assertLessThanOrEqual( 300, abs( time() - (int) $headers['X-Retain-Timestamp'] ) );
		$this->assertSame( hash_hmac( 'sha256', $headers['X-Retain-Timestamp'] . '.' . $body, $secret ), $headers['X-Retain-Signature'] );
	}

	/** @return array<int,array<string,mixed>> outbox rows, oldest first, payload decoded */
	protected function outbox_rows( ?string $type = null ): array {
		global $wpdb;
		$this->plugin()->outbox->flush();
		$rows = $wpdb->get_results( "SELECT * FROM {$wpdb->prefix}retain_outbox ORDER BY id ASC", ARRAY_A );
		$out  = array();
		foreach ( $rows as $row ) {
			$row['event'] = json_decode( $row['payload'], true );
			if ( null === $type || $row['type'] === $type ) {
				$out[] = $row;
			}
		}
		return $out;
	}

	/** Ends the "request": what the shutdown hook does, then forgets per-request state. */
	protected function end_request(): void {
		$this->plugin()->delivery->kick_if_recorded();
		$this->plugin()->outbox->forget_request();
	}

	protected function clear_actions(): void {
		retain_standin_as_store( array() );
	}

	protected function make_token( array $payload, string $secret = self::SECRET ): string {
		$body = rtrim( strtr( base64_encode( wp_json_encode( $payload ) ), '+/', '-_' ), '=' );
		return $body . '.' . rtrim( strtr( base64_encode( hash_hmac( 'sha256', 'retain-token.' . $body, $secret, true ) ), '+/', '-_' ), '=' );
	}
}
