<?php

namespace Retain\Tests;

use Retain\Consent;

final class ConsentGuardPrivacyTest extends TestCase {
	private function output( string $hook ): string {
		ob_start();
		do_action( $hook );
		return (string) ob_get_clean();
	}

	private function order( int $customer_id = 0 ): \WC_Order {
		$order = new \WC_Order( array( 'billing_email' => 'Opt@Example.org', 'customer_id' => $customer_id, 'total' => '10.00' ) );
		$order->save();
		return $order;
	}

	public function test_checkout_and_account_boxes_are_never_pre_ticked(): void {
		$checkout = $this->output( 'woocommerce_review_order_before_submit' );
		$this->assertStringContainsString( 'type="checkbox"', $checkout );
		$this->assertStringContainsString( 'name="retain_marketing_consent"', $checkout );
		$this->assertDoesNotMatchRegularExpression( '/checked/i', $checkout );
		$user = wp_insert_user( array( 'user_login' => 'acc', 'user_email' => 'acc@example.org', 'user_pass' => 'x' ) );
		wp_set_current_user( $user );
		$account = $this->output( 'woocommerce_edit_account_form' );
		$this->assertStringContainsString( 'name="retain_marketing_consent"', $account );
		$this->assertDoesNotMatchRegularExpression( '/checked/i', $account );
	}

	public function test_ticked_classic_checkout_records_consent_with_evidence(): void {
		$_POST[ Consent::FIELD ] = '1';
		$order                   = $this->order();
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		$rows = $this->outbox_rows( 'consent.changed' );
		$this->assertCount( 1, $rows );
		$data = $rows[0]['event']['data'];
		$this->assertSame( 'opt@example.org', $data['email'] );
		$this->assertSame( 'marketing', $data['purpose'] );
		$evidence = $data['consent'];
		$this->assertSame( 'granted', $evidence['state'] );
		$this->assertSame( 'checkout', $evidence['source'] );
		$this->assertSame( $this->plugin()->settings->consent_text(), $evidence['text'] );
		$this->assertMatchesRegularExpression( '/^v1-[0-9a-f]{10}$/', $evidence['text_version'] );
		$this->assertSame( '203.0.113.7', $evidence['ip'] );
		$this->assertMatchesRegularExpression( '/Z$/', $rows[0]['event']['occurred_at'], 'the time of consent' );
	}

	public function test_text_version_changes_with_the_text(): void {
		$before = $this->plugin()->settings->consent_text_version();
		$this->plugin()->settings->update( array( 'consent_text' => 'Yes, e-mail me offers.' ) );
		$this->assertNotSame( $before, $this->plugin()->settings->consent_text_version() );
	}

	public function test_unticking_never_unsubscribes(): void {
		$user = wp_insert_user( array( 'user_login' => 'sub', 'user_email' => 'sub@example.org', 'user_pass' => 'x' ) );
		update_user_meta( $user, Consent::USER_META, 'granted' );
		$this->end_request();
		global $wpdb;
		$wpdb->query( "DELETE FROM {$wpdb->prefix}retain_outbox" );
		wp_set_current_user( $user );

		// Checkout without the box, then the account form without the box.
		$order = $this->order( $user );
		do_action( 'woocommerce_checkout_order_processed', $order->get_id(), array(), $order );
		do_action( 'woocommerce_save_account_details', $user );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );

		$this->assertSame( array(), $this->outbox_rows( 'consent.changed' ) );
		$this->assertStringNotContainsString( 'revoked', implode( '', array_column( $this->outbox_rows(), 'payload' ) ) );
		$this->assertSame( 'granted', get_user_meta( $user, Consent::USER_META, true ) );
		// A subscriber is not shown a box to untick at all.
		$this->assertStringNotContainsString( 'type="checkbox"', $this->output( 'woocommerce_edit_account_form' ) . $this->output( 'woocommerce_review_order_before_submit' ) );
	}

	public function test_account_page_opt_in(): void {
		$user = wp_insert_user( array( 'user_login' => 'late', 'user_email' => 'late@example.org', 'user_pass' => 'x' ) );
		$_POST[ Consent::FIELD ] = '1';
		do_action( 'woocommerce_save_account_details', $user );
		$data = $this->outbox_rows( 'consent.changed' )[0]['event']['data'];
		$this->assertSame( array( 'late@example.org', $user, 'account' ), array( $data['email'], $data['customer_id'], $data['consent']['source'] ) );
		$this->assertTrue( $this->plugin()->consent->is_subscribed( $user ) );
	}

	public function test_block_checkout_consent_from_the_additional_field(): void {
		$order = $this->order();
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->assertCount( 0, $this->outbox_rows( 'consent.changed' ) );
		$order2 = $this->order();
		$order2->update_meta_data( Consent::BLOCK_META, '1' );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order2 );
		$this->assertSame( 'checkout', $this->outbox_rows( 'consent.changed' )[0]['event']['data']['consent']['source'] );
	}

	public function test_a_fault_inside_our_callback_never_breaks_the_cart_or_the_checkout(): void {
		global $wpdb;
		$this->plugin()->identity->set_session_email( 'secret-person@example.org' );
		// 1. A fault while building an event (here: an order object that throws).
		$broken = new class( array( 'billing_email' => 'secret-person@example.org' ) ) extends \WC_Order {
			public function get_items( $types = 'line_item' ) {
				throw new \LogicException( 'secret-person@example.org broke' );
			}
		};
		$id = $broken->save(); // fires woocommerce_new_order → our callback throws inside
		$broken->update_status( 'processing' );
		$this->assertSame( 'processing', wc_get_order( $id )->get_status(), 'the order still saves' );

		// 2. A fault while writing the outbox (the table is unusable) at the end of the request.
		$sabotage = static function ( $query ) use ( $wpdb ) {
			return false !== strpos( $query, 'INSERT INTO ' . $wpdb->prefix . 'retain_outbox' ) ? 'SELECT broken syntax FROM' : $query;
		};
		add_filter( 'query', $sabotage );
		$suppress = $wpdb->suppress_errors( true );
		try {
			$pid = retain_standin_create_product( 'Mug', '3.00' );
			$key = WC()->cart->add_to_cart( $pid, 1 );
			remove_action( 'shutdown', 'wp_ob_end_flush_all', 1 ); // PHPUnit owns the output buffers
			do_action( 'shutdown' );
		} finally {
			add_action( 'shutdown', 'wp_ob_end_flush_all', 1 );
			$wpdb->suppress_errors( $suppress );
			remove_filter( 'query', $sabotage );
		}
		$this->assertNotEmpty( $key, 'the cart still works' );
		$this->assertArrayHasKey( $key, WC()->cart->get_cart() );
		$this->assertGreaterThanOrEqual( 2, count( \Retain_Standin_Logger::$lines ), 'both faults are logged' );
		foreach ( \Retain_Standin_Logger::$lines as $line ) {
			$this->assertStringNotContainsString( 'secret-person', wp_json_encode( $line ), 'no personal data in logs' );
			$this->assertStringNotContainsString( self::SECRET, wp_json_encode( $line ) );
		}
	}

	public function test_exporter_and_eraser_call_the_sidecar_signed_and_drop_undelivered_events(): void {
		$this->plugin()->outbox->record( 'consent.changed', array( 'email' => 'gone@example.org', 'consent' => array( 'state' => 'granted', 'source' => 'admin' ) ) );
		$this->plugin()->outbox->record( 'consent.changed', array( 'email' => 'stays@example.org', 'consent' => array( 'state' => 'granted', 'source' => 'admin' ) ) );
		$this->respond_with(
			static fn( $url ) => false !== strpos( $url, '/export' )
				? self::response( 200, array( 'email' => 'gone@example.org', 'consent' => array( 'state' => 'granted' ) ) )
				: self::response( 202, array( 'erased' => true ) )
		);
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$export    = call_user_func( $exporters['retain']['callback'], 'Gone@Example.org', 1 );
		$this->assertSame( self::URL . '/v1/admin/contacts/gone%40example.org/export', $this->requests[0]['url'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertTrue( $export['done'] );
		$this->assertContains( array( 'name' => 'consent.state', 'value' => 'granted' ), $export['data'][0]['data'] );

		$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		$result  = call_user_func( $erasers['retain']['callback'], 'Gone@Example.org', 1 );
		$this->assertSame( 'POST', $this->requests[1]['args']['method'] );
		$this->assertSame( self::URL . '/v1/admin/contacts/gone%40example.org/erase', $this->requests[1]['url'] );
		$this->assertSignedRequest( $this->requests[1] );
		$this->assertTrue( $result['items_removed'] );
		$this->assertSame( array( 'stays@example.org' ), array_column( $this->outbox_rows(), 'contact' ) );
	}

	public function test_settings_constants_and_secret_handling(): void {
		$settings = $this->plugin()->settings;
		$settings->update( array( 'secret' => '' ) );
		$this->assertSame( self::SECRET, $settings->secret(), 'an empty secret field keeps the saved secret' );
		$settings->update( array( 'sidecar_url' => 'javascript:alert(1)' ) );
		$this->assertSame( '', $settings->sidecar_url() );
	}
}
