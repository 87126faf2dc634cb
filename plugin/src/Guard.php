<?php
/**
 * Wraps hook callbacks so a fault of ours never breaks a page, a cart or a checkout.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Guard {
	/** An action callback that swallows (and logs) anything it throws. */
	public static function action( callable $callback ): \Closure {
		return static function ( ...$args ) use ( $callback ) {
			try {
				$callback( ...$args );
			} catch ( \Throwable $e ) {
				self::log( $e );
			}
		};
	}

	/** A filter callback that returns the value unchanged if it throws. */
	public static function filter( callable $callback ): \Closure {
		return static function ( ...$args ) use ( $callback ) {
			try {
				return $callback( ...$args );
			} catch ( \Throwable $e ) {
				self::log( $e );
				return $args[0] ?? null;
			}
		};
	}

	/**
	 * Logs where it failed, never the message: messages can carry an address or a query.
	 */
	public static function log( \Throwable $e, string $context = 'callback' ): void {
		$line = sprintf( 'Retain %s failed: %s at %s:%d', $context, get_class( $e ), basename( $e->getFile() ), $e->getLine() );
		if ( function_exists( 'wc_get_logger' ) ) {
			wc_get_logger()->error( $line, array( 'source' => 'retain' ) );
		} else {
			error_log( $line ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
		}
	}
}
