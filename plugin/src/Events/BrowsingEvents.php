<?php
/**
 * product.viewed and search.performed, only for a visitor we already know.
 *
 * @package Retain
 */

namespace Retain\Events;

use Retain\Guard;
use Retain\Identity;
use Retain\Outbox;

defined( 'ABSPATH' ) || exit;

final class BrowsingEvents {
	private Outbox $outbox;
	private Identity $identity;

	public function __construct( Outbox $outbox, Identity $identity ) {
		$this->outbox   = $outbox;
		$this->identity = $identity;
	}

	public function register(): void {
		add_action( 'woocommerce_after_single_product', Guard::action( array( $this, 'on_product_viewed' ) ) );
		// After the main query ran, so the number of results is known.
		add_action( 'wp', Guard::action( array( $this, 'on_search' ) ) );
	}

	public function on_product_viewed(): void {
		$who = $this->identity->known_visitor();
		$id  = get_the_ID();
		if ( null === $who || ! $id ) {
			return;
		}
		$this->outbox->record( 'product.viewed', array( 'product_id' => (int) $id ) + $who );
	}

	public function on_search(): void {
		global $wp_query;
		if ( ! $wp_query || ! $wp_query->is_main_query() || ! $wp_query->is_search() || 'product' !== $wp_query->get( 'post_type' ) ) {
			return;
		}
		$who   = $this->identity->known_visitor();
		$query = trim( (string) $wp_query->get( 's' ) );
		if ( null === $who || '' === $query ) {
			return;
		}
		$this->outbox->record(
			'search.performed',
			array(
				'query'   => mb_substr( $query, 0, 200 ),
				'results' => (int) $wp_query->found_posts,
			) + $who
		);
	}
}
