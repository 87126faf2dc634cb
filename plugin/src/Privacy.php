<?php
/**
 * WordPress's personal-data tools: export and erase through the sidecar (signed), and the
 * suggested privacy-policy text.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Privacy {
	private SidecarClient $client;
	private Outbox $outbox;

	public function __construct( SidecarClient $client, Outbox $outbox ) {
		$this->client = $client;
		$this->outbox = $outbox;
	}

	public function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', Guard::filter( array( $this, 'add_exporter' ) ) );
		add_filter( 'wp_privacy_personal_data_erasers', Guard::filter( array( $this, 'add_eraser' ) ) );
		add_action( 'admin_init', Guard::action( array( $this, 'policy_text' ) ) );
	}

	public function add_exporter( array $exporters ): array {
		$exporters['retain'] = array(
			'exporter_friendly_name' => __( 'Retain e-mail marketing', 'retain' ),
			'callback'               => array( $this, 'export' ),
		);
		return $exporters;
	}

	public function add_eraser( array $erasers ): array {
		$erasers['retain'] = array(
			'eraser_friendly_name' => __( 'Retain e-mail marketing', 'retain' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/** @return array{data:array<int,mixed>,done:bool}|\WP_Error */
	public function export( string $email, int $page = 1 ) {
		$answer = $this->client->export_contact( $email );
		if ( 404 === $answer['status'] ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		if ( 200 !== $answer['status'] || ! is_array( $answer['body'] ) ) {
			// Core's privacy tools show this to the admin and let them try again.
			return new \WP_Error( 'retain_unreachable', __( 'The Retain sidecar could not be reached for the export. Try again later.', 'retain' ) );
		}
		$fields = array();
		foreach ( self::flatten( $answer['body'] ) as $name => $value ) {
			$fields[] = array(
				'name'  => $name,
				'value' => $value,
			);
		}
		return array(
			'data' => $fields ? array(
				array(
					'group_id'    => 'retain',
					'group_label' => __( 'E-mail marketing (Retain)', 'retain' ),
					'item_id'     => 'retain-contact',
					'data'        => $fields,
				),
			) : array(),
			'done' => true,
		);
	}

	/** @return array{items_removed:bool,items_retained:bool,messages:array<int,string>,done:bool} */
	public function erase( string $email, int $page = 1 ): array {
		// Undelivered events first: delivering them after the erase would bring the contact back.
		$dropped = $this->outbox->forget_contact( $email );
		$answer  = $this->client->erase_contact( $email );
		$ok      = $answer['status'] >= 200 && $answer['status'] < 300;
		return array(
			'items_removed'  => $ok || $dropped > 0,
			'items_retained' => ! $ok && 404 !== $answer['status'],
			'messages'       => $ok || 404 === $answer['status'] ? array() : array( __( 'The Retain sidecar could not be reached; run the erasure again later.', 'retain' ) ),
			'done'           => true,
		);
	}

	/** @return array<string,string> */
	private static function flatten( $value, string $prefix = '' ): array {
		$out = array();
		foreach ( (array) $value as $key => $item ) {
			$name = '' === $prefix ? (string) $key : $prefix . '.' . $key;
			if ( is_array( $item ) ) {
				$out += self::flatten( $item, $name );
			} else {
				$out[ $name ] = is_bool( $item ) ? ( $item ? 'true' : 'false' ) : (string) $item;
			}
		}
		return $out;
	}

	public function policy_text(): void {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$text = '<p>' . esc_html__( 'When you shop with us, we record what you do in our shop (accounts, carts, orders, products you view while signed in or after you clicked one of our e-mails) so we can send you e-mails about your order, your cart and, if you agreed, news and offers.', 'retain' ) . '</p>'
			. '<p>' . esc_html__( 'If you tick a box to receive our e-mails we keep the words you agreed to, the time and your IP address as proof of your consent. Every marketing e-mail has a link to unsubscribe.', 'retain' ) . '</p>'
			. '<p>' . esc_html__( 'This data is processed by our own e-mail service (Retain), hosted by us, and sent through our e-mail delivery provider. You can ask us for a copy of it or to erase it.', 'retain' ) . '</p>';
		wp_add_privacy_policy_content( __( 'Retain e-mail marketing', 'retain' ), wp_kses_post( $text ) );
	}
}
