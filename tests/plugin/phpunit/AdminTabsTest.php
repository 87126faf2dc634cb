<?php

namespace Retain\Tests;

use Retain\Admin\SidecarTabs;

final class AdminTabsTest extends TestCase {
	private SidecarTabs $tabs;

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/template.php'; // submit_button(), as on every admin page.
		$this->tabs = new SidecarTabs( $this->plugin()->client, static fn( string $tab, array $args = array() ): string => add_query_arg( array_merge( array( 'page' => 'retain', 'tab' => $tab ), $args ), admin_url( 'admin.php' ) ) );
		add_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		add_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
	}

	protected function tearDown(): void {
		remove_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		remove_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		unset( $_SERVER['REQUEST_METHOD'] );
		$_SERVER['REQUEST_METHOD'] = 'GET';
		parent::tearDown();
	}

	private function as_admin(): void {
		wp_set_current_user( 1 );
	}

	private function run_handler( callable $handler ): Halt {
		try {
			$handler();
		} catch ( Halt $h ) {
			return $h;
		}
		$this->fail( 'the handler neither redirected nor died' );
	}

	private function render( callable $render ): string {
		ob_start();
		$render();
		return (string) ob_get_clean();
	}

	private static function flows_body(): array {
		return array(
			'flows' => array(
				array(
					'id'       => 'welcome',
					'name'     => 'Welcome <script>alert(1)</script>',
					'version'  => 1,
					'enabled'  => true,
					'kind'     => 'news',
					'purpose'  => 'marketing',
					'priority' => 20,
					'trigger'  => array( 'events' => array( 'subscriber.created' ) ),
					'exits'    => array(),
					'steps'    => array(
						array( 'step' => 1, 'delay_seconds' => 0, 'template' => 'flows/welcome/1', 'coupon' => null ),
						array( 'step' => 2, 'delay_seconds' => 259200, 'template' => 'flows/welcome/2', 'coupon' => null ),
					),
					'settings' => array(),
				),
				array(
					'id'       => 'confirm_subscription',
					'name'     => 'Confirm subscription',
					'version'  => 1,
					'enabled'  => true,
					'kind'     => 'news',
					'purpose'  => 'service',
					'trigger'  => array( 'events' => array( 'subscriber.created' ) ),
					'steps'    => array( array( 'step' => 1, 'delay_seconds' => 0, 'template' => 'flows/confirm_subscription/1', 'coupon' => null ) ),
				),
				array(
					'id'       => 'abandoned_cart',
					'name'     => 'Abandoned cart',
					'version'  => 3,
					'enabled'  => false,
					'kind'     => 'reminders',
					'trigger'  => array( 'events' => array( 'cart.updated' ) ),
					'steps'    => array(
						array( 'step' => 1, 'delay_seconds' => 3600, 'template' => 'flows/abandoned_cart/1', 'coupon' => null ),
						array( 'step' => 2, 'delay_seconds' => 86400, 'template' => 'flows/abandoned_cart/2', 'coupon' => array( 'type' => 'percent', 'amount' => '10', 'expiresInDays' => 7, 'freeShipping' => false ) ),
					),
				),
			),
		);
	}

	public function test_delays_are_shown_in_the_largest_whole_unit(): void {
		$this->assertSame( array( 3, 'd' ), SidecarTabs::split_delay( 259200 ) );
		$this->assertSame( array( 2, 'w' ), SidecarTabs::split_delay( 1209600 ) );
		$this->assertSame( array( 90, 'm' ), SidecarTabs::split_delay( 5400 ) );
		$this->assertSame( array( 0, 'm' ), SidecarTabs::split_delay( 0 ) );
		$this->assertSame( array( 61, 's' ), SidecarTabs::split_delay( 61 ) );
	}

	public function test_the_flow_form_becomes_the_sidecars_put_body(): void {
		list( $id, $body, $error ) = SidecarTabs::flow_changes(
			array(
				'flow'  => 'abandoned_cart',
				'steps' => array(
					array( 'delay' => '2', 'unit' => 'h' ),
					array( 'delay' => '1.5', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => ' 15 ', 'coupon_expires' => '365', 'coupon_free_shipping' => '1' ),
					array( 'delay' => '3', 'unit' => 'd', 'coupon_type' => 'fixed_cart', 'coupon_amount' => '' ),
				),
			)
		);
		$this->assertNull( $error );
		$this->assertSame( 'abandoned_cart', $id );
		$this->assertSame(
			array(
				'enabled' => false,
				'steps'   => array(
					array( 'delay' => '2h' ),
					array(
						'delay'  => '1.5d',
						'coupon' => array( 'type' => 'percent', 'amount' => '15', 'expires_in_days' => 365, 'free_shipping' => true ),
					),
					array( 'delay' => '3d', 'coupon' => null ),
				),
			),
			$body
		);
	}

	public function test_bad_flow_fields_are_refused_before_the_sidecar_is_asked(): void {
		$this->assertSame( 'flow_unknown', SidecarTabs::flow_changes( array( 'flow' => '../etc' ) )[2] );
		$this->assertSame( 'delay_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '-1', 'unit' => 'd' ) ) ) )[2] );
		$this->assertSame( 'delay_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'y' ) ) ) )[2] );
		$this->assertSame( 'coupon_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => '150' ) ) ) )[2] );
		$this->assertSame( 'coupon_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => '1e3' ) ) ) )[2] );
		$this->assertSame( 'coupon_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => '10', 'coupon_expires' => '999' ) ) ) )[2] );
		$this->assertSame( 'coupon_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => '10', 'coupon_expires' => '0' ) ) ) )[2] );
		$this->assertSame( 'coupon_invalid', SidecarTabs::flow_changes( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'free_lunch', 'coupon_amount' => '10' ) ) ) )[2] );
	}

	public function test_the_flows_tab_lists_flows_from_the_signed_sidecar_call_escaped(): void {
		$this->as_admin();
		$this->respond_with( fn() => self::response( 200, self::flows_body() ) );
		$html = $this->render( array( $this->tabs, 'render_flows' ) );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( self::URL . '/v1/admin/flows', $this->requests[0]['url'] );
		$this->assertSame( 'GET', $this->requests[0]['args']['method'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertStringNotContainsString( '<script>alert(1)', $html );
		$this->assertStringContainsString( 'Welcome &lt;script&gt;', $html );
		$this->assertStringContainsString( 'name="steps[1][delay]" value="3"', $html );
		$this->assertMatchesRegularExpression( '/name="steps\[1\]\[unit\]".*?<option value="d"\s+selected/s', $html );
		$this->assertStringContainsString( 'name="steps[1][coupon_amount]" value="10"', $html );
		$this->assertStringContainsString( 'name="steps[1][coupon_expires]" value="7"', $html );
		$this->assertMatchesRegularExpression( '/id="retain-flow-abandoned_cart".*?class="retain-flow-enabled"\s*\/>/s', $html, 'a flow that is off is unticked' );
		$this->assertSame( 3, substr_count( $html, 'name="_wpnonce"' ) );
		// The discount is editable: type, amount, validity, free shipping; a marketing step without one can get one.
		$this->assertMatchesRegularExpression( '/name="steps\[1\]\[coupon_type\]".*?<option value="percent"\s+selected/s', $html );
		$this->assertMatchesRegularExpression( '/<input type="number"[^>]*name="steps\[1\]\[coupon_expires\]" value="7"/', $html );
		$this->assertStringContainsString( 'name="steps[1][coupon_free_shipping]" value="1"  />', $html, 'free shipping unticked' );
		$this->assertMatchesRegularExpression( '/id="retain-flow-welcome".*?name="steps\[0\]\[coupon_amount\]" value=""/s', $html );
		$this->assertMatchesRegularExpression( '/id="retain-flow-confirm_subscription"((?!<\/form>).)*<\/form>/s', $html );
		preg_match( '/id="retain-flow-confirm_subscription"((?!<\/form>).)*<\/form>/s', $html, $service );
		$this->assertStringNotContainsString( 'coupon_amount', $service[0], 'a service flow is offered no coupon' );
	}

	public function test_the_flows_tab_shows_why_the_sidecar_could_not_be_asked(): void {
		$this->as_admin();
		$this->respond_with( fn() => self::response( 401, array( 'error' => array( 'code' => 'signature_invalid', 'message' => 'bad <b>sig</b>' ) ) ) );
		$html = $this->render( array( $this->tabs, 'render_flows' ) );
		$this->assertStringContainsString( 'signature_invalid', $html );
		$this->assertStringNotContainsString( '<b>sig', $html );
	}

	public function test_saving_a_flow_puts_the_change_and_shows_the_note(): void {
		$this->as_admin();
		$this->respond_with(
			fn( $url, $args ) => self::response( 200, array( 'flow' => array( 'id' => 'welcome' ), 'note' => 'Contacts already in this flow keep their steps.' ) )
		);
		$_POST = wp_slash(
			array(
				'action'   => 'retain_save_flow',
				'flow'     => 'welcome',
				'steps'    => array( array( 'delay' => '0', 'unit' => 'm' ), array( 'delay' => '4', 'unit' => 'd' ) ),
				'_wpnonce' => wp_create_nonce( 'retain_save_flow' ),
			)
		);
		$_REQUEST = $_POST;
		$halt     = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertSame( 'redirect', $halt->kind );
		$this->assertStringContainsString( 'retain_notice=flow_saved', $halt->where );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( self::URL . '/v1/admin/flows/welcome', $this->requests[0]['url'] );
		$this->assertSame( 'PUT', $this->requests[0]['args']['method'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertSame( array( 'enabled' => false, 'steps' => array( array( 'delay' => '0m' ), array( 'delay' => '4d' ) ) ), json_decode( $this->requests[0]['args']['body'], true ) );

		$this->respond_with( fn() => self::response( 200, self::flows_body() ) );
		$html = $this->render( array( $this->tabs, 'render_flows' ) );
		$this->assertStringContainsString( 'Flow welcome saved.', $html );
		$this->assertStringContainsString( 'Contacts already in this flow keep their steps.', $html );
	}

	public function test_saving_a_flows_discount_sends_type_amount_validity_and_free_shipping(): void {
		$this->as_admin();
		$this->respond_with( fn() => self::response( 200, array( 'flow' => array( 'id' => 'abandoned_cart' ), 'note' => '' ) ) );
		$_POST    = wp_slash(
			array(
				'flow'     => 'abandoned_cart',
				'enabled'  => '1',
				'steps'    => array(
					array( 'delay' => '90', 'unit' => 'm', 'coupon_type' => 'fixed_cart', 'coupon_amount' => '5.50', 'coupon_expires' => '3', 'coupon_free_shipping' => '1' ),
					array( 'delay' => '1', 'unit' => 'd', 'coupon_type' => 'percent', 'coupon_amount' => '', 'coupon_expires' => '7' ),
				),
				'_wpnonce' => wp_create_nonce( 'retain_save_flow' ),
			)
		);
		$_REQUEST = $_POST;
		$halt     = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertStringContainsString( 'retain_notice=flow_saved', $halt->where );
		$this->assertSame( self::URL . '/v1/admin/flows/abandoned_cart', $this->requests[0]['url'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertSame(
			array(
				'enabled' => true,
				'steps'   => array(
					array( 'delay' => '90m', 'coupon' => array( 'type' => 'fixed_cart', 'amount' => '5.50', 'expires_in_days' => 3, 'free_shipping' => true ) ),
					array( 'delay' => '1d', 'coupon' => null ),
				),
			),
			json_decode( $this->requests[0]['args']['body'], true )
		);
	}

	public function test_a_bad_discount_never_reaches_the_sidecar(): void {
		$this->as_admin();
		$_POST    = wp_slash( array( 'flow' => 'abandoned_cart', 'steps' => array( array( 'delay' => '1', 'unit' => 'h', 'coupon_type' => 'percent', 'coupon_amount' => '10', 'coupon_expires' => '400' ) ), '_wpnonce' => wp_create_nonce( 'retain_save_flow' ) ) );
		$_REQUEST = $_POST;
		$halt     = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertStringContainsString( 'retain_notice=flow_failed', $halt->where );
		$this->assertCount( 0, $this->requests );
		$this->respond_with( fn() => self::response( 200, self::flows_body() ) );
		$html = $this->render( array( $this->tabs, 'render_flows' ) );
		$this->assertStringContainsString( 'coupon_invalid', $html );
		$this->assertStringContainsString( '1 to 365 days', $html );
	}

	public function test_a_refused_save_shows_the_sidecars_code_message_and_details(): void {
		$this->as_admin();
		$this->respond_with(
			fn() => self::response( 422, array( 'error' => array( 'code' => 'flow_invalid', 'message' => 'the flow settings are not valid', 'details' => array( array( 'path' => 'steps.0.delay', 'message' => 'a duration <i>such</i> as "45m"' ) ) ) ) )
		);
		$_POST    = wp_slash( array( 'flow' => 'welcome', 'enabled' => '1', 'steps' => array( array( 'delay' => '1', 'unit' => 'd' ) ), '_wpnonce' => wp_create_nonce( 'retain_save_flow' ) ) );
		$_REQUEST = $_POST;
		$halt     = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertStringContainsString( 'retain_notice=flow_failed', $halt->where );
		$this->respond_with( fn() => self::response( 200, self::flows_body() ) );
		$html = $this->render( array( $this->tabs, 'render_flows' ) );
		$this->assertStringContainsString( 'flow_invalid', $html );
		$this->assertStringContainsString( 'the flow settings are not valid', $html );
		$this->assertStringContainsString( 'steps.0.delay', $html );
		$this->assertStringNotContainsString( '<i>such', $html );
	}

	public function test_saving_a_flow_needs_the_nonce_and_the_capability(): void {
		$_POST    = wp_slash( array( 'flow' => 'welcome', 'steps' => array( array( 'delay' => '1', 'unit' => 'd' ) ) ) );
		$_REQUEST = $_POST;
		$this->as_admin();
		$halt = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertSame( 'die', $halt->kind, 'no nonce' );

		$customer = wp_insert_user( array( 'user_login' => 'shopper' . wp_rand(), 'user_pass' => 'x', 'user_email' => 'shopper' . wp_rand() . '@example.org', 'role' => 'customer' ) );
		wp_set_current_user( $customer );
		$_POST['_wpnonce']    = wp_create_nonce( 'retain_save_flow' );
		$_REQUEST['_wpnonce'] = $_POST['_wpnonce'];
		$halt                 = $this->run_handler( array( $this->tabs, 'save_flow' ) );
		$this->assertSame( 'die', $halt->kind );
		$this->assertSame( 403, $halt->status );
		$this->assertCount( 0, $this->requests, 'the sidecar is never asked' );
	}

	public function test_contact_lookup_shows_the_timeline_escaped_in_the_sites_timezone(): void {
		$this->as_admin();
		update_option( 'timezone_string', 'Asia/Jerusalem' );
		update_option( 'date_format', 'Y-m-d' );
		update_option( 'time_format', 'H:i' );
		$this->respond_with(
			fn() => self::response(
				200,
				array(
					'email'           => 'dana@example.org',
					'consent'         => 'granted',
					'unsubscribed_at' => null,
					'timeline'        => array(
						array( 'at' => '2026-11-20T10:00:00.000Z', 'kind' => 'enrolled', 'flow' => 'welcome', 'step' => null, 'detail' => array( 'version' => 1 ) ),
						array( 'at' => '2026-11-20T10:00:05.000Z', 'kind' => 'skipped', 'flow' => 'welcome', 'step' => 1, 'detail' => array( 'reason' => '<img src=x onerror=alert(1)>' ) ),
					),
				)
			)
		);
		$_GET = array( 'email' => 'Dana@Example.org', '_wpnonce' => wp_create_nonce( 'retain_lookup' ) );
		$html = $this->render( array( $this->tabs, 'render_contacts' ) );
		$this->assertCount( 1, $this->requests );
		$this->assertSame( self::URL . '/v1/contacts/dana%40example.org/timeline', $this->requests[0]['url'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertStringContainsString( '2026-11-20 12:00', $html, 'UTC 10:00 is 12:00 in Jerusalem in November' );
		$this->assertStringContainsString( 'welcome / 1', $html );
		$this->assertStringContainsString( '&lt;img src=x onerror=alert(1)&gt;', $html );
		$this->assertStringNotContainsString( '<img src=x', $html );
		$this->assertStringContainsString( 'consent: granted', $html );
	}

	public function test_contact_lookup_without_a_valid_nonce_does_not_ask_the_sidecar(): void {
		$this->as_admin();
		$_GET = array( 'email' => 'dana@example.org', '_wpnonce' => 'forged' );
		$html = $this->render( array( $this->tabs, 'render_contacts' ) );
		$this->assertCount( 0, $this->requests );
		$this->assertStringContainsString( 'expired', $html );
	}

	public function test_an_unknown_contact_is_reported_plainly(): void {
		$this->as_admin();
		$this->respond_with( fn() => self::response( 404, array( 'error' => array( 'code' => 'contact_not_found', 'message' => 'no contact' ) ) ) );
		$_GET = array( 'email' => 'nobody@example.org', '_wpnonce' => wp_create_nonce( 'retain_lookup' ) );
		$this->assertStringContainsString( 'holds no contact', $this->render( array( $this->tabs, 'render_contacts' ) ) );
	}
}
