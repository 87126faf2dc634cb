<?php
/**
 * The endpoints the sidecar calls: POST /wp-json/retain/v1/coupons and GET /wp-json/retain/v1/health.
 *
 * Authentication is the request signature (no WordPress user is involved), checked before
 * anything else; errors use the contract's shape { "error": { "code", "message" } }.
 *
 * @package Retain
 */

namespace Retain\Rest;

use Retain\Coupons;
use Retain\Outbox;
use Retain\Plugin;
use Retain\Signer;

defined( 'ABSPATH' ) || exit;

final class Endpoints {
	public const NAMESPACE = 'retain/v1';

	private Signer $signer;
	private Coupons $coupons;
	private Outbox $outbox;

	public function __construct( Signer $signer, Coupons $coupons, Outbox $outbox ) {
		$this->signer  = $signer;
		$this->coupons = $coupons;
		$this->outbox  = $outbox;
	}

	public function register(): void {
		add_action( 'rest_api_init', array( $this, 'routes' ) );
		add_filter( 'rest_post_dispatch', array( $this, 'error_shape' ), 10, 3 );
	}

	/**
	 * WordPress answers a refused permission check as { code, message, data }; the sidecar reads
	 * the contract's { error: { code, message } } on our routes.
	 */
	public function error_shape( $response, $server, $request ) {
		if ( ! $response instanceof \WP_REST_Response || 0 !== strpos( (string) $request->get_route(), '/' . self::NAMESPACE . '/' ) ) {
			return $response;
		}
		$data = $response->get_data();
		if ( $response->is_error() && is_array( $data ) && isset( $data['code'], $data['message'] ) && ! isset( $data['error'] ) ) {
			$response->set_data(
				array(
					'error' => array(
						'code'    => (string) $data['code'],
						'message' => (string) $data['message'],
					),
				)
			);
		}
		return $response;
	}

	public function routes(): void {
		register_rest_route(
			self::NAMESPACE,
			'/coupons',
			array(
				'methods'             => 'POST',
				'callback'            => array( $this, 'create_coupon' ),
				'permission_callback' => array( $this, 'signed' ),
			)
		);
		register_rest_route(
			self::NAMESPACE,
			'/health',
			array(
				'methods'             => 'GET',
				'callback'            => array( $this, 'health' ),
				'permission_callback' => array( $this, 'signed' ),
			)
		);
	}

	/** @return true|\WP_Error */
	public function signed( \WP_REST_Request $request ) {
		$code = $this->signer->verify(
			(string) $request->get_body(),
			$request->get_header( 'x_retain_timestamp' ),
			$request->get_header( 'x_retain_signature' )
		);
		if ( null === $code ) {
			return true;
		}
		$messages = array(
			'signature_missing' => 'The request is not signed.',
			'signature_invalid' => 'The signature does not match.',
			'timestamp_stale'   => 'The request was signed too long ago.',
		);
		return new \WP_Error( $code, $messages[ $code ], array( 'status' => 401 ) );
	}

	public function create_coupon( \WP_REST_Request $request ): \WP_REST_Response {
		try {
			$body = json_decode( (string) $request->get_body(), true );
			list( $clean, $errors ) = $this->coupons->validate( $body );
			if ( null === $clean ) {
				return self::error( 422, 'coupon_invalid', 'The coupon request is invalid.', $errors );
			}
			list( $coupon ) = $this->coupons->create( $clean );
			// The same idempotency key answers the same coupon, with the same status.
			return new \WP_REST_Response( $coupon, 201 );
		} catch ( \Throwable $e ) {
			\Retain\Guard::log( $e, 'coupon endpoint' );
			return self::error( 500, 'coupon_failed', 'The coupon could not be created.' );
		}
	}

	public function health(): \WP_REST_Response {
		return new \WP_REST_Response(
			array(
				'plugin_version'      => Plugin::VERSION,
				'woocommerce_version' => function_exists( 'WC' ) ? (string) WC()->version : null,
				'outbox_pending'      => $this->outbox->counts()['pending'],
			),
			200
		);
	}

	private static function error( int $status, string $code, string $message, array $details = array() ): \WP_REST_Response {
		$error = array(
			'code'    => $code,
			'message' => $message,
		);
		if ( $details ) {
			$error['details'] = $details;
		}
		return new \WP_REST_Response( array( 'error' => $error ), $status );
	}
}
