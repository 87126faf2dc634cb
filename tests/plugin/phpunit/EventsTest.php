<?php

namespace Retain\Tests;

use Retain\Events\CustomerEvents;

final class EventsTest extends TestCase {
	private function product( string $name = 'Mug', string $price = '9.50', string $stock = 'instock' ): int {
		return retain_standin_create_product( $name, $price, $stock );
	}

	public function test_registration_records_one_customer_created_event(): void {
		$id = wp_insert_user(
			array(
				'user_login' => 'dana',
				'user_email' => 'Dana@Example.org',
				'user_pass'  => 'x',
				'first_name' => 'Dana',
				'last_name'  => 'Levi',
				'locale'     => 'he_IL',
			)
		);
		update_user_meta( $id, 'billing_country', 'IL' );
		do_action( 'woocommerce_created_customer', $id, array(), false );

		$rows = $this->outbox_rows( 'customer.created' );
		$this->assertCount( 1, $rows, 'user_register and woocommerce_created_customer make one event' );
		$event = $rows[0]['event'];
		$this->assertMatchesRegularExpression( '/^[0-9a-f-]{36}$/', $event['id'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/', $event['occurred_at'] );
		$this->assertSame( $id, $event['data']['customer_id'] );
		$this->assertSame( 'dana@example.org', $event['data']['email'] );
		$this->assertSame( 'Dana', $event['data']['first_name'] );
		$this->assertSame( 'he_IL', $event['data']['locale'] );
		$this->assertSame( 'pending', $rows[0]['status'] );
		$this->assertSame( 'dana@example.org', $rows[0]['contact'] );
	}

	public function test_account_details_update_with_birthday(): void {
		$id = wp_insert_user( array( 'user_login' => 'eli', 'user_email' => 'eli@example.org', 'user_pass' => 'x' ) );
		$this->end_request();
		$_POST['retain_birthday'] = '1990-04-30';
		wp_update_user( array( 'ID' => $id, 'first_name' => 'Eli' ) );
		do_action( 'woocommerce_save_account_details', $id );

		$rows = $this->outbox_rows( 'customer.updated' );
		$this->assertNotEmpty( $rows );
		$last = end( $rows )['event']['data'];
		$this->assertSame( 'Eli', $last['first_name'] );
		$this->assertSame( '1990-04-30', $last['birthday'] );
		$this->assertSame( '1990-04-30', get_user_meta( $id, CustomerEvents::BIRTHDAY_META, true ) );
	}

	public function test_cart_changes_in_one_request_make_one_snapshot(): void {
		$mug   = $this->product( 'Mug', '9.50' );
		$plate = $this->product( 'Plate', '4.00' );
		$key   = WC()->cart->add_to_cart( $mug, 2 );
		WC()->cart->add_to_cart( $plate, 1 );
		WC()->cart->set_quantity( $key, 3 );

		$rows = $this->outbox_rows( 'cart.updated' );
		$this->assertCount( 1, $rows );
		$data = $rows[0]['event']['data'];
		$this->assertSame( array( $mug, $plate ), array_column( $data['items'], 'product_id' ) );
		$this->assertSame( 3, $data['items'][0]['quantity'] );
		$this->assertSame( '9.50', $data['items'][0]['price'] );
		$this->assertSame( '28.50', $data['items'][0]['total'] );
		$this->assertSame( 'Mug', $data['items'][0]['name'] );
		$this->assertSame( '32.50', $data['total'] );
		$this->assertSame( 'USD', $data['currency'] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{32}$/', $data['cart_key'] );
		$this->assertArrayNotHasKey( 'email', $data, 'an anonymous guest has no e-mail yet' );
	}

	public function test_cart_changes_across_requests_each_make_a_snapshot_and_emptied_sends_empty_items(): void {
		$mug = $this->product();
		$key = WC()->cart->add_to_cart( $mug, 1 );
		$this->end_request();
		WC()->cart->remove_cart_item( $key );
		$this->end_request();
		WC()->cart->add_to_cart( $mug, 1 );
		$this->end_request();
		WC()->cart->empty_cart();

		$rows = $this->outbox_rows( 'cart.updated' );
		$this->assertCount( 4, $rows );
		$this->assertSame( array( 1, 0, 1, 0 ), array_map( static fn( $r ) => count( $r['event']['data']['items'] ), $rows ) );
		$this->assertCount( 1, array_unique( array_map( static fn( $r ) => $r['event']['data']['cart_key'], $rows ) ), 'one cart key' );
	}

	public function test_cart_snapshot_carries_the_known_email_after_capture(): void {
		$this->plugin()->identity->set_session_email( 'guest@example.org' );
		WC()->cart->add_to_cart( $this->product(), 1 );
		$this->assertSame( 'guest@example.org', $this->outbox_rows( 'cart.updated' )[0]['event']['data']['email'] );
	}

	public function test_guest_email_capture_records_checkout_started_once(): void {
		$events = new \Retain\Events\CheckoutEvents( $this->plugin()->outbox, $this->plugin()->settings, $this->plugin()->consent, $this->plugin()->identity );
		$events->capture( 'Guest@Example.org', false );
		$events->capture( 'guest@example.org', false );
		$rows = $this->outbox_rows( 'checkout.started' );
		$this->assertCount( 1, $rows );
		$this->assertSame( 'guest@example.org', $rows[0]['event']['data']['email'] );
		$this->assertArrayNotHasKey( 'consent', $rows[0]['event']['data'] );
		$events->capture( 'guest@example.org', true );
		$rows = $this->outbox_rows( 'checkout.started' );
		$this->assertCount( 2, $rows );
		$this->assertSame( 'granted', $rows[1]['event']['data']['consent']['state'] );
	}

	public function test_block_checkout_customer_update_captures_the_email(): void {
		$customer = new \WC_Customer( 0 );
		$customer->set_billing_email( 'block@example.org' );
		do_action( 'woocommerce_store_api_cart_update_customer_from_request', $customer, new \WP_REST_Request() );
		$this->assertSame( 'block@example.org', $this->outbox_rows( 'checkout.started' )[0]['event']['data']['email'] );
	}

	private function order( array $props = array() ): \WC_Order {
		$order = new \WC_Order(
			$props + array(
				'status'          => 'pending',
				'total'           => '42.00',
				'currency'        => 'EUR',
				'billing_email'   => 'Buyer@Example.org',
				'billing_country' => 'DE',
				'customer_id'     => 0,
			)
		);
		$order->add_product_item( array( 'product_id' => 12, 'quantity' => 2, 'subtotal' => '40.00', 'total' => '38.00', 'name' => 'Tea' ) );
		$order->update_meta_data( '_wc_order_attribution_source_type', 'utm' );
		$order->update_meta_data( '_wc_order_attribution_utm_source', 'retain' );
		$order->update_meta_data( '_billing_phone', '555' );
		return $order;
	}

	public function test_classic_checkout_order_is_created_once_with_items_and_attribution(): void {
		$order = $this->order();
		$id    = $order->save(); // woocommerce_new_order
		do_action( 'woocommerce_checkout_order_processed', $id, array(), $order );

		$rows = $this->outbox_rows( 'order.created' );
		$this->assertCount( 1, $rows );
		$data = $rows[0]['event']['data'];
		$this->assertSame( $id, $data['order_id'] );
		$this->assertSame( 'pending', $data['status'] );
		$this->assertSame( 'EUR', $data['currency'] );
		$this->assertSame( '42.00', $data['total'] );
		$this->assertSame( 'buyer@example.org', $data['email'] );
		$this->assertSame( 0, $data['customer_id'] );
		$this->assertSame( 'DE', $data['billing_country'] );
		$this->assertSame( array( 'source_type' => 'utm', 'utm_source' => 'retain' ), $data['attribution'] );
		$this->assertSame( array( array( 'product_id' => 12, 'variation_id' => 0, 'quantity' => 2, 'price' => '20.00', 'total' => '38.00', 'name' => 'Tea' ) ), $data['items'] );
		$this->assertMatchesRegularExpression( '/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$/', $data['created_at'] );
	}

	public function test_block_checkout_draft_becomes_order_created_then_status_changes(): void {
		$order = $this->order( array( 'status' => 'checkout-draft' ) );
		$id    = $order->save();
		$this->assertCount( 0, $this->outbox_rows(), 'a draft is not an order yet' );
		$order->update_status( 'pending' );
		do_action( 'woocommerce_store_api_checkout_order_processed', $order );
		$this->end_request();
		$order->update_status( 'processing' );

		$types = array_column( $this->outbox_rows(), 'type' );
		$this->assertSame( array( 'order.created', 'order.status_changed' ), $types );
		$changed = $this->outbox_rows( 'order.status_changed' )[0]['event']['data'];
		$this->assertSame( array( 'pending', 'processing' ), array( $changed['from'], $changed['to'] ) );
		$this->assertSame( $id, $changed['order_id'] );
		$this->assertSame( '42.00', $changed['total'] );
	}

	public function test_refund(): void {
		$order = $this->order( array( 'status' => 'completed' ) );
		$id    = $order->save();
		$refund = wc_create_refund( array( 'order_id' => $id, 'amount' => '5', 'reason' => 'chipped' ) );
		$data   = $this->outbox_rows( 'order.refunded' )[0]['event']['data'];
		$this->assertSame( array( $id, $refund->get_id(), '5.00', 'chipped', 'buyer@example.org' ), array( $data['order_id'], $data['refund_id'], $data['amount'], $data['reason'], $data['email'] ) );
	}

	public function test_product_view_only_for_known_visitors(): void {
		global $post;
		$pid  = $this->product();
		$post = get_post( $pid ); // phpcs:ignore WordPress.WP.GlobalVariablesOverride
		setup_postdata( $post );
		do_action( 'woocommerce_after_single_product' );
		$this->assertCount( 0, $this->outbox_rows( 'product.viewed' ), 'an anonymous visitor is not tracked' );

		$this->plugin()->identity->remember( 'fan@example.org' );
		do_action( 'woocommerce_after_single_product' );
		$rows = $this->outbox_rows( 'product.viewed' );
		$this->assertCount( 1, $rows );
		$this->assertSame( array( 'product_id' => $pid, 'email' => 'fan@example.org' ), $rows[0]['event']['data'] );
	}

	public function test_visitor_cookie_with_forged_signature_is_ignored(): void {
		$_COOKIE['retain_visitor'] = $this->make_token( array( 'p' => 'visitor', 'x' => time() + 100, 'e' => 'victim@example.org' ), 'wrong-secret' );
		$this->assertNull( ( new \Retain\Identity( $this->plugin()->signer ) )->known_visitor() );
	}

	public function test_signup_shortcode_records_subscriber_with_evidence(): void {
		$html = do_shortcode( '[retain_signup]' );
		$this->assertStringContainsString( 'name="retain_marketing_consent"', $html );
		$this->assertStringNotContainsString( 'checked', $html );

		$signup = new \Retain\Signup( $this->plugin()->outbox, $this->plugin()->consent, $this->plugin()->identity );
		$nonce  = wp_create_nonce( \Retain\Signup::ACTION );
		$this->assertSame( 'consent', $signup->handle( array( '_retain_nonce' => $nonce, 'email' => 'new@example.org' ) ) );
		$this->assertSame( 'nonce', $signup->handle( array( '_retain_nonce' => 'bad', 'email' => 'new@example.org', 'retain_marketing_consent' => '1' ) ) );
		$this->assertCount( 0, $this->outbox_rows() );
		$this->assertSame( 'ok', $signup->handle( array( '_retain_nonce' => $nonce, 'email' => 'New@Example.org', 'first_name' => 'Noa', 'retain_marketing_consent' => '1' ) ) );

		$data = $this->outbox_rows( 'subscriber.created' )[0]['event']['data'];
		$this->assertSame( 'new@example.org', $data['email'] );
		$this->assertSame( 'Noa', $data['first_name'] );
		$this->assertSame( 'granted', $data['consent']['state'] );
		$this->assertSame( 'signup_form', $data['consent']['source'] );
		$this->assertSame( '203.0.113.7', $data['consent']['ip'] );
		$this->assertSame( 'new@example.org', $this->plugin()->identity->cookie_email() );
	}
}
