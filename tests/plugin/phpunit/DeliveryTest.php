<?php

namespace Retain\Tests;

use Retain\Delivery;

final class DeliveryTest extends TestCase {
	protected function setUp(): void {
		parent::setUp();
		$this->clear_actions();
		delete_option( Delivery::STATE );
		$this->clock = time();
		$this->plugin()->delivery->set_clock( fn() => $this->clock );
	}

	protected function tearDown(): void {
		$this->plugin()->delivery->set_clock( 'time' );
		parent::tearDown();
	}

	private int $clock = 0;

	/** Records $n events (one per "request") and returns their ids in order. */
	private function record( int $n, string $email = 'a@example.org' ): array {
		$ids = array();
		for ( $i = 0; $i < $n; $i++ ) {
			$ids[] = $this->plugin()->outbox->record( 'consent.changed', array( 'email' => $email, 'consent' => array( 'state' => 'granted', 'source' => 'admin' ) ) );
		}
		$this->end_request();
		return $ids;
	}

	/** A sidecar that stores events by id (duplicates are counted, not stored twice). */
	private function sidecar( callable $is_up, array &$stored, int &$duplicates ): void {
		$this->respond_with(
			function ( $url, $args ) use ( $is_up, &$stored, &$duplicates ) {
				if ( ! $is_up() ) {
					return new \WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
				}
				$this->assertSignedRequest( array( 'url' => $url, 'args' => $args ) );
				$events = json_decode( $args['body'], true )['events'];
				$this->assertLessThanOrEqual( 500, count( $events ) );
				foreach ( $events as $e ) {
					if ( isset( $stored[ $e['id'] ] ) ) {
						++$duplicates;
					}
					$stored[ $e['id'] ] = $e;
				}
				return self::response( 202, array( 'accepted' => count( $events ), 'duplicates' => 0 ) );
			}
		);
	}

	public function test_recording_schedules_one_async_delivery_at_shutdown(): void {
		$this->plugin()->outbox->record( 'product.viewed', array( 'product_id' => 1, 'customer_id' => 2 ) );
		$this->assertCount( 0, retain_standin_pending_actions( Delivery::HOOK ), 'nothing is scheduled inside the hook callback' );
		$this->end_request();
		$this->record( 3 );
		$this->assertCount( 1, retain_standin_pending_actions( Delivery::HOOK ) );
		$this->assertSame( array(), $this->requests, 'no HTTP during the shopper\'s request' );
	}

	public function test_delivers_a_signed_batch_in_order_then_prunes(): void {
		$ids = $this->record( 3 );
		retain_standin_run_due_actions();

		$this->assertCount( 1, $this->requests );
		$request = $this->requests[0];
		$this->assertSame( self::URL . '/v1/events', $request['url'] );
		$this->assertSame( 'POST', $request['args']['method'] );
		$this->assertSame( 'application/json', $request['args']['headers']['Content-Type'] );
		$this->assertSignedRequest( $request );
		$body = json_decode( $request['args']['body'], true );
		$this->assertSame( $ids, array_column( $body['events'], 'id' ) );
		$this->assertSame( 'consent.changed', $body['events'][0]['type'] );
		$this->assertSame( array(), $this->outbox_rows(), 'delivered rows are pruned' );
	}

	public function test_a_dead_sidecar_gets_retries_with_growing_back_off_and_nothing_is_lost_or_duplicated(): void {
		$ids        = $this->record( 4 );
		$stored     = array();
		$duplicates = 0;
		$up         = false;
		$this->sidecar( static function () use ( &$up ) { return $up; }, $stored, $duplicates );

		$this->clock = time();
		$now         = $this->clock;
		$delays      = array();
		for ( $attempt = 0; $attempt < 5; $attempt++ ) {
			$this->assertSame( 1, retain_standin_run_due_actions( $now ) );
			$next = retain_standin_pending_actions( Delivery::HOOK );
			$this->assertCount( 1, $next, 'exactly one retry is scheduled' );
			$at       = reset( $next )['timestamp'];
			$delays[] = $at - $now;
			$this->assertSame( 0, retain_standin_run_due_actions( $at - 1 ), 'nothing runs before the back-off elapsed' );
			$now = $at;
			$this->clock = $at;
		}
		$this->assertCount( 4, $this->outbox_rows(), 'all events still waiting' );
		for ( $i = 1; $i < count( $delays ); $i++ ) {
			$this->assertGreaterThan( $delays[ $i - 1 ], $delays[ $i ], 'back-off grows: ' . implode( ',', $delays ) );
		}
		$this->assertGreaterThanOrEqual( 12, $delays[0] );
		$this->assertSame( 5, $this->plugin()->delivery->state()['failures'] );

		// More events arrive while it is down: they do not cause an immediate attempt.
		$ids = array_merge( $ids, $this->record( 2 ) );
		$this->assertCount( 1, retain_standin_pending_actions( Delivery::HOOK ) );

		$up = true;
		retain_standin_run_due_actions( $now );
		$this->assertSame( $ids, array_keys( $stored ), 'every event arrived, in order' );
		$this->assertSame( 0, $duplicates );
		$this->assertSame( array(), $this->outbox_rows() );
		$this->assertSame( 0, $this->plugin()->delivery->state()['failures'] );
	}

	public function test_an_hour_long_outage_loses_nothing_and_recovers_within_the_back_off_cap(): void {
		$stored     = array();
		$duplicates = 0;
		$clock      = time();
		$this->clock = &$clock;
		$back_at    = $clock + HOUR_IN_SECONDS;
		$this->sidecar( static function () use ( &$clock, $back_at ) { return $clock >= $back_at; }, $stored, $duplicates );
		$ids = array();
		// One event per minute during the outage, with the queue runner ticking every minute.
		for ( $minute = 0; $minute < 60; $minute++ ) {
			$clock = time() + 60 * $minute;
			$ids   = array_merge( $ids, $this->record( 1, "m$minute@example.org" ) );
			retain_standin_run_due_actions( $clock );
		}
		$this->assertSame( array(), $stored );
		$attempts_during_outage = count( $this->requests );
		$this->assertLessThan( 20, $attempts_during_outage, 'a dead sidecar is not hammered' );
		while ( $clock < $back_at + 2 * Delivery::MAX_DELAY && count( $stored ) < 60 ) {
			$clock += 60;
			retain_standin_run_due_actions( $clock );
		}
		$this->assertSame( $ids, array_keys( $stored ) );
		$this->assertSame( 0, $duplicates );
		$this->assertLessThanOrEqual( $back_at + (int) ( Delivery::MAX_DELAY * 1.2 ) + 60, $clock, 'delivered within one capped back-off of recovery' );
	}

	public function test_5xx_and_429_are_retried_with_retry_after_respected(): void {
		$this->record( 1 );
		$this->respond_with( static fn() => self::response( 429, array( 'error' => array( 'code' => 'rate_limited', 'message' => '' ) ), array( 'retry-after' => '120' ) ) );
		retain_standin_run_due_actions();
		$pending = retain_standin_pending_actions( Delivery::HOOK );
		$next    = reset( $pending );
		$this->assertGreaterThanOrEqual( time() + 120, $next['timestamp'] );
		$this->assertSame( 'rate_limited', $this->plugin()->delivery->state()['last_error'] );
		$this->assertCount( 1, $this->outbox_rows() );

		$this->respond_with( static fn() => self::response( 503, array( 'error' => array( 'code' => 'unavailable', 'message' => '' ) ) ) );
		retain_standin_run_due_actions( $next['timestamp'] );
		$this->assertSame( 'pending', $this->outbox_rows()[0]['status'] );
		$this->assertSame( 2, $this->plugin()->delivery->state()['failures'] );
	}

	public function test_422_fails_only_the_named_event_and_delivers_the_rest(): void {
		$ids   = $this->record( 3 );
		$calls = 0;
		$this->respond_with(
			static function ( $url, $args ) use ( &$calls ) {
				++$calls;
				$events = json_decode( $args['body'], true )['events'];
				if ( 1 === $calls ) {
					return self::response( 422, array( 'error' => array( 'code' => 'event_invalid', 'message' => 'x', 'details' => array( array( 'index' => 1, 'path' => 'data.email', 'message' => 'bad' ) ) ) ) );
				}
				return self::response( 202, array( 'accepted' => count( $events ) ) );
			}
		);
		retain_standin_run_due_actions();
		$this->assertSame( 2, $calls );
		$sent = json_decode( $this->requests[1]['args']['body'], true )['events'];
		$this->assertSame( array( $ids[0], $ids[2] ), array_column( $sent, 'id' ) );
		$rows = $this->outbox_rows();
		$this->assertCount( 1, $rows );
		$this->assertSame( array( $ids[1], 'failed', 'event_invalid' ), array( $rows[0]['event_id'], $rows[0]['status'], $rows[0]['error_code'] ) );
		$this->assertSame( array( 'pending' => 0, 'failed' => 1 ), $this->plugin()->outbox->counts() );
		$this->assertSame( 'event_invalid', $this->plugin()->outbox->failed_rows()[0]['error_code'] );
		$this->assertCount( 0, retain_standin_pending_actions( Delivery::HOOK ), 'a 4xx is not retried unchanged' );

		// After the admin fixes the cause, "send again" puts it back in the queue.
		$this->assertSame( 1, $this->plugin()->outbox->retry_failed() );
		$this->respond_with( static fn() => self::response( 202, array( 'accepted' => 1 ) ) );
		$this->plugin()->delivery->kick();
		retain_standin_run_due_actions();
		$this->assertSame( array(), $this->outbox_rows() );
	}

	public function test_other_4xx_fails_the_batch_visibly(): void {
		$this->record( 2 );
		$this->respond_with( static fn() => self::response( 400, array( 'error' => array( 'code' => 'invalid_body', 'message' => '' ) ) ) );
		retain_standin_run_due_actions();
		$this->assertSame( array( 'failed', 'failed' ), array_column( $this->outbox_rows(), 'status' ) );
		$this->assertSame( array( 'invalid_body', 'invalid_body' ), array_column( $this->outbox_rows(), 'error_code' ) );
		$this->assertCount( 1, $this->requests );
	}

	public function test_401_keeps_rows_pending_and_backs_off(): void {
		$this->record( 2 );
		$this->respond_with( static fn() => self::response( 401, array( 'error' => array( 'code' => 'signature_invalid', 'message' => '' ) ) ) );
		retain_standin_run_due_actions();
		$this->assertSame( array( 'pending', 'pending' ), array_column( $this->outbox_rows(), 'status' ) );
		$this->assertSame( 'signature_invalid', $this->plugin()->delivery->state()['last_error'] );
		$this->assertCount( 1, retain_standin_pending_actions( Delivery::HOOK ) );
	}

	public function test_batches_hold_at_most_500_events_and_413_splits(): void {
		global $wpdb;
		$ids   = $this->record( 1201 );
		$sizes = array();
		$this->respond_with(
			static function ( $url, $args ) use ( &$sizes ) {
				$n       = count( json_decode( $args['body'], true )['events'] );
				$sizes[] = $n;
				return 201 === $n ? self::response( 413, array( 'error' => array( 'code' => 'body_too_large', 'message' => '' ) ) ) : self::response( 202, array( 'accepted' => $n ) );
			}
		);
		retain_standin_run_due_actions();
		$this->assertSame( array( 500, 500, 201, 100, 101 ), $sizes );
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->prefix}retain_outbox" ) );
		$this->assertCount( 1201, $ids );
	}

	public function test_a_second_runner_does_nothing_while_the_first_holds_the_lock(): void {
		global $wpdb;
		$this->record( 1 );
		// Another connection holds the lock, as a concurrent queue runner would.
		$other = new \wpdb( DB_USER, DB_PASSWORD, DB_NAME, DB_HOST );
		$this->assertSame( '1', $other->get_var( $other->prepare( 'SELECT GET_LOCK(%s, 0)', $wpdb->prefix . 'retain_deliver' ) ) );
		$this->plugin()->delivery->run();
		$this->assertSame( array(), $this->requests );
		$other->query( $other->prepare( 'SELECT RELEASE_LOCK(%s)', $wpdb->prefix . 'retain_deliver' ) );
		$other->close();
		$this->plugin()->delivery->run();
		$this->assertCount( 1, $this->requests );
	}

	public function test_backoff_is_capped(): void {
		for ( $i = 1; $i < 30; $i++ ) {
			$this->assertLessThanOrEqual( (int) ( Delivery::MAX_DELAY * 1.2 ), Delivery::backoff( $i ) );
		}
		$this->assertGreaterThanOrEqual( 12, Delivery::backoff( 1 ) );
	}
}
