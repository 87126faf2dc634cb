<?php
/**
 * The outbox: every event is a row here until the sidecar has durably stored it.
 *
 * Rows leave in id order, which keeps each contact's events in the order they happened.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Outbox {
	public const STATUS_PENDING = 'pending';
	public const STATUS_FAILED  = 'failed';

	/** True once this request recorded something: delivery is scheduled at shutdown. */
	private bool $recorded = false;

	/** Flush early when this many events are held (long-running processes). */
	private const FLUSH_AT = 200;

	/** Events recorded in this request, not yet written. @var array<int|string,array<string,string>> */
	private array $buffer = array();

	/** @var array<string,string> */
	private array $seen = array();

	public function table(): string {
		global $wpdb;
		return $wpdb->prefix . 'retain_outbox';
	}

	public function schema(): string {
		global $wpdb;
		$collate = $wpdb->get_charset_collate();
		return "CREATE TABLE {$this->table()} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  event_id varchar(64) NOT NULL,
  type varchar(40) NOT NULL,
  contact varchar(191) NOT NULL DEFAULT '',
  payload longtext NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'pending',
  error_code varchar(100) NULL,
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY event_id (event_id),
  KEY status_id (status,id),
  KEY contact (contact)
) $collate;";
	}

	/**
	 * Records one event. It is held in memory and written with the request's other events in one
	 * INSERT at shutdown (flush()), so a hook callback costs microseconds, not a commit. $coalesce
	 * names a snapshot (e.g. a cart) whose later versions in the same request replace the earlier one.
	 *
	 * @param array<string,mixed> $data The event's data object.
	 */
	public function record( string $type, array $data, ?string $coalesce = null ): string {
		$event_id = wp_generate_uuid4();
		$row      = array(
			'event_id'   => $event_id,
			'type'       => $type,
			'contact'    => self::contact_key( $data ),
			'payload'    => (string) wp_json_encode(
				array(
					'id'          => $event_id,
					'type'        => $type,
					'occurred_at' => gmdate( 'Y-m-d\TH:i:s\Z' ),
					'data'        => (object) $data,
				),
				JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
			),
			'created_at' => gmdate( 'Y-m-d H:i:s' ),
		);
		$this->recorded = true;
		if ( null !== $coalesce ) {
			// The newest snapshot takes the place in line of when it happened.
			unset( $this->buffer[ 'c:' . $coalesce ] );
			$this->buffer[ 'c:' . $coalesce ] = $row;
		} else {
			$this->buffer[] = $row;
		}
		if ( count( $this->buffer ) >= self::FLUSH_AT ) {
			$this->flush(); // Long-running processes (imports, queue runners) do not hoard events.
		}
		return $event_id;
	}

	/** Writes the held events in one multi-row INSERT, in the order they happened. */
	public function flush(): void {
		global $wpdb;
		if ( ! $this->buffer ) {
			return;
		}
		$rows         = array_values( $this->buffer );
		$this->buffer = array();
		$values       = array();
		$args         = array();
		foreach ( $rows as $row ) {
			$values[] = '(%s, %s, %s, %s, %s, %s)';
			array_push( $args, $row['event_id'], $row['type'], $row['contact'], $row['payload'], self::STATUS_PENDING, $row['created_at'] );
		}
		$sql = "INSERT INTO {$this->table()} (event_id, type, contact, payload, status, created_at) VALUES " . implode( ', ', $values );
		if ( false === $wpdb->query( $wpdb->prepare( $sql, $args ) ) ) { // phpcs:ignore WordPress.DB.PreparedSQL.NotPrepared
			throw new \RuntimeException( 'outbox insert failed' );
		}
	}

	/** The contact an event belongs to: its e-mail, else its customer id, else its cart. */
	public static function contact_key( array $data ): string {
		if ( ! empty( $data['email'] ) ) {
			return strtolower( (string) $data['email'] );
		}
		if ( ! empty( $data['customer_id'] ) ) {
			return 'customer:' . (int) $data['customer_id'];
		}
		return ! empty( $data['cart_key'] ) ? 'cart:' . $data['cart_key'] : '';
	}

	public function recorded_this_request(): bool {
		return $this->recorded;
	}

	/**
	 * True the first time $key has $value in this request: lets overlapping hooks (user_register
	 * and woocommerce_created_customer, say) send one event.
	 */
	public function first_in_request( string $key, string $value = '' ): bool {
		if ( array_key_exists( $key, $this->seen ) && $this->seen[ $key ] === $value ) {
			return false;
		}
		$this->seen[ $key ] = $value;
		return true;
	}

	public function seen_in_request( string $key ): bool {
		return array_key_exists( $key, $this->seen );
	}

	/** Starts a new request's bookkeeping. Held events must have been flushed first. */
	public function forget_request(): void {
		$this->recorded = false;
		$this->buffer   = array();
		$this->seen     = array();
	}

	/**
	 * The oldest pending rows, at most $limit of them and about $max_bytes of payload.
	 *
	 * @return array<int,array{id:int,payload:string}>
	 */
	public function next_batch( int $limit = 500, int $max_bytes = 900000 ): array {
		global $wpdb;
		$rows  = $wpdb->get_results(
			$wpdb->prepare( "SELECT id, payload FROM {$this->table()} WHERE status = %s ORDER BY id ASC LIMIT %d", self::STATUS_PENDING, $limit ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			ARRAY_A
		);
		$batch = array();
		$bytes = 0;
		foreach ( (array) $rows as $row ) {
			$bytes += strlen( $row['payload'] ) + 1;
			if ( $batch && $bytes > $max_bytes ) {
				break;
			}
			$batch[] = array(
				'id'      => (int) $row['id'],
				'payload' => $row['payload'],
			);
		}
		return $batch;
	}

	/** @param int[] $ids */
	public function delete( array $ids ): void {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$ids = implode( ',', array_map( 'intval', $ids ) );
		$wpdb->query( "DELETE FROM {$this->table()} WHERE id IN ($ids)" ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/** @param int[] $ids */
	public function mark_failed( array $ids, string $code ): void {
		global $wpdb;
		if ( ! $ids ) {
			return;
		}
		$ids = implode( ',', array_map( 'intval', $ids ) );
		$wpdb->query( $wpdb->prepare( "UPDATE {$this->table()} SET status = %s, error_code = %s WHERE id IN ($ids)", self::STATUS_FAILED, substr( $code, 0, 100 ) ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/** Puts failed rows back in the queue (after the admin fixed the cause). */
	public function retry_failed(): int {
		global $wpdb;
		return (int) $wpdb->query( $wpdb->prepare( "UPDATE {$this->table()} SET status = %s, error_code = NULL WHERE status = %s", self::STATUS_PENDING, self::STATUS_FAILED ) ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
	}

	/** @return array{pending:int,failed:int} */
	public function counts(): array {
		global $wpdb;
		$this->flush();
		$out = array(
			'pending' => 0,
			'failed'  => 0,
		);
		foreach ( (array) $wpdb->get_results( "SELECT status, COUNT(*) AS n FROM {$this->table()} GROUP BY status", ARRAY_A ) as $row ) { // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$out[ $row['status'] ] = (int) $row['n'];
		}
		return $out;
	}

	/** Failed rows for the admin page: no payloads (they hold personal data). @return array<int,array<string,string>> */
	public function failed_rows( int $limit = 50 ): array {
		global $wpdb;
		return (array) $wpdb->get_results(
			$wpdb->prepare( "SELECT id, event_id, type, error_code, created_at FROM {$this->table()} WHERE status = %s ORDER BY id DESC LIMIT %d", self::STATUS_FAILED, $limit ), // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			ARRAY_A
		);
	}

	/** Drops undelivered events of an erased contact, so delivery cannot re-create them. */
	public function forget_contact( string $email ): int {
		global $wpdb;
		$this->flush();
		return (int) $wpdb->delete( $this->table(), array( 'contact' => strtolower( trim( $email ) ) ) );
	}
}
