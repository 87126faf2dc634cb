<?php

namespace Retain\Tests;

use Retain\Admin\ReportsTab;

/** WooCommerce → Retain → Reports: the signed report call, the chart, the table, the failures. */
final class ReportsTabTest extends TestCase {
	private ReportsTab $tab;

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/template.php'; // submit_button(), as on every admin page.
		$this->tab = new ReportsTab( $this->plugin()->client );
		wp_set_current_user( 1 );
		update_option( 'date_format', 'Y-m-d' );
	}

	private function render(): string {
		ob_start();
		$this->tab->render();
		return (string) ob_get_clean();
	}

	private static function metrics( array $figures = array() ): array {
		return array_merge(
			array(
				'scheduled' => 0, 'submitted' => 0, 'delivered' => 0, 'opened' => 0, 'machine_opened' => 0, 'clicked' => 0,
				'unsubscribed' => 0, 'bounced' => 0, 'complained' => 0, 'orders' => 0, 'revenue' => '0.00',
				'recovered_carts' => 0, 'recovered_revenue' => '0.00', 'open_orders' => 0, 'open_revenue' => '0.00',
			),
			$figures
		);
	}

	private static function report( array $extra = array() ): array {
		return array_merge(
			array(
				'from'        => '2026-11-10',
				'to'          => '2026-11-12',
				'timezone'    => 'Europe/Berlin',
				'currency'    => 'EUR',
				'attribution' => array( 'model' => 'last_click', 'window_days' => 5, 'open_view' => '' ),
				'total'       => self::metrics( array( 'scheduled' => 1300, 'submitted' => 1234, 'clicked' => 40, 'orders' => 3, 'revenue' => '1135.50', 'recovered_carts' => 2 ) ),
				'days'        => array(
					array_merge( array( 'date' => '2026-11-10' ), self::metrics( array( 'submitted' => 1000, 'clicked' => 30, 'orders' => 2, 'revenue' => '1000.00' ) ) ),
					array_merge( array( 'date' => '2026-11-12' ), self::metrics( array( 'submitted' => 234, 'clicked' => 10, 'orders' => 1, 'revenue' => '135.50' ) ) ),
				),
				'steps'       => array(
					array( 'flow' => 'abandoned_cart', 'step' => 2, 'total' => self::metrics( array( 'scheduled' => 1300, 'submitted' => 1234, 'delivered' => 1200, 'opened' => 500, 'machine_opened' => 77, 'clicked' => 40, 'unsubscribed' => 4, 'bounced' => 5, 'complained' => 1, 'orders' => 3, 'revenue' => '1135.50', 'recovered_carts' => 2 ) ), 'days' => array() ),
					array( 'flow' => 'made_up_flow', 'step' => 1, 'total' => self::metrics(), 'days' => array() ),
				),
			),
			$extra
		);
	}

	public function test_the_range_defaults_to_the_last_30_shop_days_and_refuses_bad_dates(): void {
		update_option( 'timezone_string', 'Pacific/Auckland' );
		$now = strtotime( '2026-11-20T20:00:00Z' ); // already the 21st in Auckland
		$this->assertSame( array( '2026-10-23', '2026-11-21', null ), ReportsTab::range( array(), $now ) );
		$this->assertSame( array( '2026-11-01', '2026-11-30', null ), ReportsTab::range( array( 'from' => '2026-11-01', 'to' => '2026-11-30' ), $now ) );
		$this->assertSame( array( '2025-11-21', '2026-11-21', null ), ReportsTab::range( array( 'from' => '2025-11-21', 'to' => '2026-11-21' ), $now ), '366 days is allowed' );
		foreach ( array( array( '2026-02-30', '2026-03-01' ), array( '2026-11-01', 'soon' ), array( '2026-11-20', '2026-11-01' ), array( '2025-11-20', '2026-11-21' ), array( array( 'x' ), '2026-11-01' ) ) as $bad ) {
			list( $from, $to, $problem ) = ReportsTab::range( array( 'from' => $bad[0], 'to' => $bad[1] ), $now );
			$this->assertSame( array( '2026-10-23', '2026-11-21' ), array( $from, $to ), wp_json_encode( $bad ) );
			$this->assertIsString( $problem );
		}
	}

	public function test_the_report_is_asked_signed_and_shown_as_a_chart_and_a_table(): void {
		$this->respond_with( fn() => self::response( 200, self::report() ) );
		$_GET = array( 'page' => 'retain', 'tab' => 'reports', 'from' => '2026-11-10', 'to' => '2026-11-12' );
		$html = $this->render();

		$this->assertCount( 1, $this->requests );
		$this->assertSame( self::URL . '/v1/admin/reports?from=2026-11-10&to=2026-11-12', $this->requests[0]['url'] );
		$this->assertSame( 'GET', $this->requests[0]['args']['method'] );
		$this->assertSignedRequest( $this->requests[0] );

		// The form keeps the range.
		$this->assertStringContainsString( 'name="from" value="2026-11-10"', $html );
		$this->assertStringContainsString( 'name="to" value="2026-11-12"', $html );
		// The chart: one point per day of the range (the 11th has no figures and is drawn at zero).
		$this->assertSame( 1, substr_count( $html, '<svg class="retain-chart-svg"' ) );
		foreach ( array( 'submitted', 'clicked', 'orders' ) as $line ) {
			$this->assertMatchesRegularExpression( '/<polyline class="retain-chart-line retain-chart-' . $line . '"[^>]*points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+"/', $html, $line );
		}
		preg_match( '/retain-chart-submitted"[^>]*points="([^"]+)"/', $html, $m );
		$ys = array_map( static fn( $p ) => (float) explode( ',', $p )[1], explode( ' ', $m[1] ) );
		$this->assertLessThan( $ys[2], $ys[0], '1000 submitted is drawn higher than 234' );
		$this->assertLessThan( $ys[1], $ys[2], '234 submitted is drawn higher than none' );
		$this->assertSame( 2, substr_count( $html, 'class="retain-chart-revenue"' ), 'a revenue bar on each day with revenue' );
		$this->assertStringContainsString( '2026-11-11: submitted 0, clicked 0, orders 0, revenue 0 EUR', $html );
		// The table: names for people, numbers and money in the admin's format (the stand-in has no wc_price()).
		$this->assertStringContainsString( '<th scope="row">Abandoned cart</th>', $html );
		$this->assertStringContainsString( '<th scope="row">Made up flow</th>', $html );
		$this->assertStringContainsString( '<td class="num retain-col-submitted">1,234</td>', $html );
		$this->assertStringContainsString( '<td class="num retain-col-machine_opened">77</td>', $html );
		$this->assertStringContainsString( '<td class="num retain-col-revenue">1,135.50 EUR</td>', $html );
		$this->assertStringContainsString( '<td class="num retain-col-recovered_carts">2</td>', $html );
		$this->assertMatchesRegularExpression( '/<tfoot><tr class="retain-report-total"><th scope="row" colspan="2">All flows<\/th><td class="num retain-col-scheduled">1,300<\/td>/', $html );
		$this->assertStringContainsString( 'Europe/Berlin', $html );
		$this->assertStringNotContainsString( 'retain-report-experiments', $html, 'no experiments, no table' );
		$this->assertStringNotContainsString( 'notice-error', $html );
	}

	public function test_an_empty_report_still_draws_the_range(): void {
		$this->respond_with( fn() => self::response( 200, self::report( array( 'days' => array(), 'steps' => array(), 'total' => self::metrics() ) ) ) );
		$_GET = array( 'from' => '2026-11-01', 'to' => '2026-11-30' );
		$html = $this->render();
		$this->assertStringContainsString( 'retain-report-empty', $html );
		preg_match( '/retain-chart-orders"[^>]*points="([^"]+)"/', $html, $m );
		$this->assertCount( 30, explode( ' ', $m[1] ) );
		$this->assertSame( 0, substr_count( $html, 'class="retain-chart-revenue"' ) );
	}

	public function test_experiments_are_listed_when_the_sidecar_reports_them_escaped(): void {
		$this->respond_with(
			fn() => self::response(
				200,
				self::report(
					array(
						'experiments' => array(
							array( 'flow' => 'abandoned_cart', 'step' => 2, 'kind' => 'ab', 'variants' => array( array( 'name' => 'A', 'submitted' => 1200, 'orders' => 3 ), array( 'name' => 'B <b>bold</b>', 'submitted' => 1180, 'orders' => 9 ) ), 'verdict' => 'B wins <script>x</script>' ),
							array( 'flow' => 'welcome', 'step' => null, 'kind' => 'holdout', 'groups' => array( array( 'group' => 'holdout', 'contacts' => 50 ) ), 'verdict' => null ),
						),
					)
				)
			)
		);
		$html = $this->render();
		$this->assertStringContainsString( 'retain-report-experiments', $html );
		$this->assertStringContainsString( '<li>A: submitted 1,200, orders 3</li>', $html );
		$this->assertStringContainsString( 'A/B test', $html );
		$this->assertStringContainsString( 'Holdout group', $html );
		$this->assertStringContainsString( '<li>holdout: contacts 50</li>', $html );
		$this->assertStringContainsString( 'No verdict yet', $html );
		$this->assertStringContainsString( 'Welcome series', $html );
		$this->assertStringNotContainsString( '<b>bold', $html );
		$this->assertStringNotContainsString( '<script>x', $html );
	}

	public function test_a_sidecar_error_or_timeout_is_an_admin_notice_not_a_php_error(): void {
		$this->respond_with( fn() => self::response( 500, array( 'error' => array( 'code' => 'internal', 'message' => 'something <i>broke</i>' ) ) ) );
		$html = $this->render();
		$this->assertStringContainsString( 'notice-error', $html );
		$this->assertStringContainsString( 'Could not load the report from the sidecar', $html );
		$this->assertStringContainsString( '<code dir="ltr">internal</code>', $html );
		$this->assertStringNotContainsString( '<i>broke', $html );
		$this->assertStringNotContainsString( 'retain-chart-svg', $html );

		$this->respond_with( fn() => new \WP_Error( 'http_request_failed', 'cURL error 28: Operation timed out after 20001 milliseconds' ) );
		$html = $this->render();
		$this->assertStringContainsString( '<code dir="ltr">network_error</code>', $html );
		$this->assertStringNotContainsString( 'cURL', $html );

		$this->respond_with( fn() => self::response( 200, '<html>a proxy page</html>' ) );
		$this->assertStringContainsString( '<code dir="ltr">invalid_answer</code>', $this->render() );

		$this->respond_with( fn() => self::response( 400, array( 'error' => array( 'code' => 'range_too_long', 'message' => 'at most 366 days per report' ) ) ) );
		$this->assertStringContainsString( 'at most 366 days per report', $this->render() );
	}

	public function test_bad_dates_are_reported_and_the_default_range_is_asked(): void {
		$this->respond_with( fn() => self::response( 200, self::report() ) );
		$_GET = array( 'from' => '2026-13-01"><script>', 'to' => '2026-11-12' );
		$html = $this->render();
		$this->assertStringContainsString( 'retain-report-range', $html );
		$this->assertStringNotContainsString( '<script>', $html );
		list( $from, $to ) = ReportsTab::range( array() );
		$this->assertSame( self::URL . '/v1/admin/reports?from=' . $from . '&to=' . $to, $this->requests[0]['url'] );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_money_uses_wc_price_when_woocommerce_has_it(): void {
		$this->assertFalse( function_exists( 'wc_price' ), 'the stand-in has no wc_price()' );
		require __DIR__ . '/fixtures/wc-price.php';
		$this->assertSame( '<span class="woocommerce-Price-amount amount"><bdi>1,135.50 EUR</bdi></span>bad()', ReportsTab::money( '1135.50', 'EUR' ) );
		$this->respond_with( fn() => self::response( 200, self::report() ) );
		$this->assertStringContainsString( '<td class="num retain-col-revenue"><span class="woocommerce-Price-amount amount"><bdi>1,135.50 EUR</bdi></span>bad()</td>', $this->render() );
	}
}
