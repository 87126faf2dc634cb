<?php
/**
 * Delivers the outbox to the sidecar in signed batches, in the background (Action Scheduler).
 *
 * Action Scheduler never retries a failed action, so this class schedules its own retries with
 * exponential back-off (and jitter) until the sidecar answers. Only one runner works at a time
 * (a MySQL named lock), which keeps events in order.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Delivery {
	public const HOOK        = 'retain_deliver';
	public const SWEEP_HOOK  = 'retain_deliver_sweep';
	public const GROUP       = 'retain';
	public const STATE       = 'retain_delivery_state';
	public const MAX_BATCH   = 500;
	public const BASE_DELAY  = 15;
	public const MAX_DELAY   = 600;
	private const TIME_BUDGET = 20;

	private Outbox $outbox;
	private SidecarClient $client;
	/** @var callable(): int */
	private $clock;

	public function __construct( Outbox $outbox, SidecarClient $client, ?callable $clock = null ) {
		$this->outbox = $outbox;
		$this->client = $client;
		$this->clock  = $clock ?? 'time';
	}

	/** Tests move time; production uses time(). */
	public function set_clock( callable $clock ): void {
		$this->clock = $clock;
	}

	private function now(): int {
		return (int) ( $this->clock )();
	}

	public function register(): void {
		add_action( self::HOOK, array( $this, 'run' ) );
		add_action( self::SWEEP_HOOK, Guard::action( array( $this, 'sweep' ) ) );
		add_action( 'shutdown', Guard::action( array( $this, 'kick_if_recorded' ) ), 1 );
		add_action( 'admin_init', Guard::action( array( $this, 'ensure_sweep' ) ) );
	}

	/** At the end of a request that recorded events: write them, then make sure a delivery is scheduled. */
	public function kick_if_recorded(): void {
		if ( $this->outbox->recorded_this_request() ) {
			try {
				$this->outbox->flush();
			} finally {
				$this->outbox->forget_request();
			}
			$this->kick();
		}
	}

	/**
	 * Schedules a run now unless one is already pending (which may be a back-off retry: we keep
	 * its time, so a dead sidecar is not hammered by every page view).
	 */
	public function kick(): void {
		if ( ! as_has_scheduled_action( self::HOOK, null, self::GROUP ) ) {
			as_enqueue_async_action( self::HOOK, array(), self::GROUP );
		}
	}

	/** A safety net every five minutes: pending rows always get a runner. */
	public function ensure_sweep(): void {
		if ( ! as_has_scheduled_action( self::SWEEP_HOOK, null, self::GROUP ) ) {
			as_schedule_recurring_action( $this->now() + 300, 300, self::SWEEP_HOOK, array(), self::GROUP );
		}
	}

	public function sweep(): void {
		if ( $this->outbox->counts()['pending'] > 0 ) {
			$this->kick();
		}
	}

	/**
	 * One delivery run: batches until the outbox is empty, the time budget is spent or the
	 * sidecar fails; a failure schedules the next attempt with back-off.
	 */
	public function run(): void {
		global $wpdb;
		$lock = $wpdb->prefix . 'retain_deliver';
		if ( '1' !== (string) $wpdb->get_var( $wpdb->prepare( 'SELECT GET_LOCK(%s, 0)', $lock ) ) ) {
			return; // Another runner holds the outbox; it reschedules itself if needed.
		}
		try {
			$this->deliver();
		} catch ( \Throwable $e ) {
			// Action Scheduler would mark the action failed and never run it again.
			Guard::log( $e, 'delivery' );
			$this->failed_transiently( 'exception', null );
		} finally {
			$wpdb->query( $wpdb->prepare( 'SELECT RELEASE_LOCK(%s)', $lock ) );
		}
	}

	private function deliver(): void {
		$started = $this->now();
		$limit   = self::MAX_BATCH;
		while ( true ) {
			$batch = $this->outbox->next_batch( $limit );
			if ( ! $batch ) {
				$this->succeeded();
				return;
			}
			$body   = '{"events":[' . implode( ',', array_column( $batch, 'payload' ) ) . ']}';
			$answer = $this->client->post_events( $body );
			$status = $answer['status'];
			$ids    = array_column( $batch, 'id' );

			if ( $status >= 200 && $status < 300 ) {
				$this->outbox->delete( $ids );
				$this->succeeded();
				$limit = self::MAX_BATCH;
			} elseif ( 0 === $status || 429 === $status || $status >= 500 || 401 === $status ) {
				// 401 means the two sides disagree on the secret: the rows are fine, so they wait
				// (with back-off) for the admin to fix the settings instead of being failed.
				$this->failed_transiently( (string) $answer['error'], $answer['retry_after'] );
				return;
			} elseif ( 413 === $status && count( $batch ) > 1 ) {
				$limit = max( 1, intdiv( count( $batch ), 2 ) );
			} elseif ( 422 === $status && $this->invalid_indexes( $answer['body'], count( $batch ) ) ) {
				// The batch is all or nothing: fail the named events, send the rest again.
				$bad = $this->invalid_indexes( $answer['body'], count( $batch ) );
				$this->outbox->mark_failed( array_values( array_intersect_key( $ids, array_flip( $bad ) ) ), (string) $answer['error'] );
			} else {
				$this->outbox->mark_failed( $ids, (string) $answer['error'] );
			}

			if ( $this->now() - $started >= self::TIME_BUDGET ) {
				as_enqueue_async_action( self::HOOK, array(), self::GROUP );
				return;
			}
		}
	}

	/** @return int[] indexes named by a 422's details */
	private function invalid_indexes( $body, int $count ): array {
		$out = array();
		foreach ( (array) ( $body['error']['details'] ?? array() ) as $detail ) {
			if ( isset( $detail['index'] ) && is_numeric( $detail['index'] ) && (int) $detail['index'] >= 0 && (int) $detail['index'] < $count ) {
				$out[] = (int) $detail['index'];
			}
		}
		return array_values( array_unique( $out ) );
	}

	private function succeeded(): void {
		$state = $this->state();
		if ( 0 !== $state['failures'] || null !== $state['last_error'] ) {
			$state['failures']   = 0;
			$state['last_error'] = null;
			$state['next_at']    = null;
			update_option( self::STATE, $state, false );
		}
	}

	private function failed_transiently( string $error, ?int $retry_after ): void {
		$state             = $this->state();
		$state['failures'] = $state['failures'] + 1;
		$delay             = self::backoff( $state['failures'] );
		if ( null !== $retry_after ) {
			$delay = min( self::MAX_DELAY, max( $delay, $retry_after ) );
		}
		$state['last_error'] = $error;
		$state['next_at']    = $this->now() + $delay;
		update_option( self::STATE, $state, false );
		as_schedule_single_action( $state['next_at'], self::HOOK, array(), self::GROUP );
	}

	/** Seconds before attempt $failures + 1: 15, 30, 60 … capped at 10 minutes, ±20 % jitter. */
	public static function backoff( int $failures ): int {
		$delay = min( self::MAX_DELAY, self::BASE_DELAY * ( 2 ** min( 10, max( 0, $failures - 1 ) ) ) );
		return (int) max( 1, round( $delay * ( 0.8 + 0.4 * ( wp_rand( 0, 1000 ) / 1000 ) ) ) );
	}

	/** @return array{failures:int,last_error:?string,next_at:?int} */
	public function state(): array {
		$state = get_option( self::STATE, array() );
		return array_merge(
			array(
				'failures'   => 0,
				'last_error' => null,
				'next_at'    => null,
			),
			is_array( $state ) ? $state : array()
		);
	}
}
