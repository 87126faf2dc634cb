<?php
/**
 * The Reports tab of WooCommerce → Retain: what the sidecar reports per flow and step
 * (GET /v1/admin/reports, signed, docs/reports.md), as a chart over time drawn here as inline SVG
 * (no script, no external library) and a per-step table, in the admin's language.
 *
 * @package Retain
 */

namespace Retain\Admin;

use Retain\SidecarClient;

defined( 'ABSPATH' ) || exit;

final class ReportsTab {
	public const DEFAULT_DAYS = 30;
	public const MAX_DAYS     = 366; // The sidecar's own limit (range_too_long).

	/** The lines of the chart: figure → colour (WordPress admin palette). */
	private const LINES = array(
		'submitted' => '#2271b1',
		'clicked'   => '#00a32a',
		'orders'    => '#d63638',
	);
	private const REVENUE_COLOUR = '#c3c4c7';

	private const CHART_WIDTH  = 760;
	private const CHART_HEIGHT = 240;
	private const PAD_SIDE     = 56;
	private const PAD_TOP      = 16;
	private const PAD_BOTTOM   = 30;

	private SidecarClient $client;

	public function __construct( SidecarClient $client ) {
		$this->client = $client;
	}

	/**
	 * The days to report: from/to as given when they are real days in order and at most MAX_DAYS
	 * apart, else the last DEFAULT_DAYS days of the site's calendar with a message saying why.
	 *
	 * @param array<string,mixed> $query Unslashed query arguments.
	 * @return array{0:string,1:string,2:?string} from, to, problem
	 */
	public static function range( array $query, ?int $now = null ): array {
		$today   = new \DateTimeImmutable( '@' . ( $now ?? time() ) );
		$today   = $today->setTimezone( wp_timezone() );
		$default = array( $today->modify( '-' . ( self::DEFAULT_DAYS - 1 ) . ' days' )->format( 'Y-m-d' ), $today->format( 'Y-m-d' ) );
		$from    = sanitize_text_field( (string) ( is_scalar( $query['from'] ?? null ) ? $query['from'] : '' ) );
		$to      = sanitize_text_field( (string) ( is_scalar( $query['to'] ?? null ) ? $query['to'] : '' ) );
		if ( '' === $from && '' === $to ) {
			return array( $default[0], $default[1], null );
		}
		$from_day = self::day( $from );
		$to_day   = self::day( $to );
		if ( null === $from_day || null === $to_day ) {
			return array( $default[0], $default[1], __( 'Both dates must be real days (YYYY-MM-DD). Showing the last 30 days.', 'retain' ) );
		}
		if ( $from_day > $to_day ) {
			return array( $default[0], $default[1], __( 'The first day is after the last day. Showing the last 30 days.', 'retain' ) );
		}
		if ( (int) $from_day->diff( $to_day )->days + 1 > self::MAX_DAYS ) {
			/* translators: %d: the largest number of days in one report */
			return array( $default[0], $default[1], sprintf( __( 'A report covers at most %d days. Showing the last 30 days.', 'retain' ), self::MAX_DAYS ) );
		}
		return array( $from, $to, null );
	}

	private static function day( string $value ): ?\DateTimeImmutable {
		if ( ! preg_match( '/^(\d{4})-(\d{2})-(\d{2})$/', $value, $m ) || ! checkdate( (int) $m[2], (int) $m[3], (int) $m[1] ) ) {
			return null;
		}
		return new \DateTimeImmutable( $value . 'T00:00:00', new \DateTimeZone( 'UTC' ) );
	}

	/** A flow's name in the admin's language; an id we do not know is shown as words. */
	public static function flow_label( string $id ): string {
		$names = array(
			'confirm_subscription' => __( 'Confirm subscription', 'retain' ),
			'welcome'              => __( 'Welcome series', 'retain' ),
			'abandoned_cart'       => __( 'Abandoned cart', 'retain' ),
			'abandoned_checkout'   => __( 'Abandoned checkout', 'retain' ),
			'browse_abandonment'   => __( 'Browse abandonment', 'retain' ),
			'search_abandonment'   => __( 'Search abandonment', 'retain' ),
			'post_purchase'        => __( 'Post-purchase', 'retain' ),
			'review_request'       => __( 'Review request', 'retain' ),
			'first_customer'       => __( 'First-time customer', 'retain' ),
			'birthday'             => __( 'Birthday', 'retain' ),
			'anniversary'          => __( 'Anniversaries', 'retain' ),
			'win_back'             => __( 'Win-back', 'retain' ),
			'vip'                  => __( 'Loyal / VIP', 'retain' ),
			'reengagement'         => __( 'Re-engagement and sunset', 'retain' ),
		);
		return $names[ $id ] ?? ucfirst( str_replace( array( '_', '-' ), ' ', $id ) );
	}

	/** The table's columns: figure → heading. */
	private static function columns(): array {
		return array(
			'scheduled'       => __( 'Scheduled', 'retain' ),
			'submitted'       => __( 'Submitted', 'retain' ),
			'delivered'       => __( 'Delivered', 'retain' ),
			'opened'          => __( 'Opened (people)', 'retain' ),
			'machine_opened'  => __( 'Opened (machines)', 'retain' ),
			'clicked'         => __( 'Clicked', 'retain' ),
			'unsubscribed'    => __( 'Unsubscribed', 'retain' ),
			'bounced'         => __( 'Bounced', 'retain' ),
			'complained'      => __( 'Complained', 'retain' ),
			'orders'          => __( 'Orders', 'retain' ),
			'revenue'         => __( 'Revenue', 'retain' ),
			'recovered_carts' => __( 'Recovered carts', 'retain' ),
		);
	}

	private static function figure( $metrics, string $key ): string {
		return number_format_i18n( is_array( $metrics ) && is_numeric( $metrics[ $key ] ?? null ) ? (int) $metrics[ $key ] : 0 );
	}

	/** Money from the sidecar (a decimal string) as HTML: wc_price() when WooCommerce has it. */
	public static function money( $amount, string $currency ): string {
		$amount = is_scalar( $amount ) && preg_match( '/^-?\d{1,15}(\.\d{1,8})?$/', (string) $amount ) ? (string) $amount : '0';
		if ( function_exists( 'wc_price' ) ) {
			$args = '' !== $currency ? array( 'currency' => $currency ) : array();
			return wp_kses(
				(string) wc_price( (float) $amount, $args ),
				array(
					'span' => array( 'class' => true ),
					'bdi'  => array(),
				)
			);
		}
		$decimals = strpos( $amount, '.' ) === false ? 0 : strlen( $amount ) - strpos( $amount, '.' ) - 1;
		return esc_html( trim( number_format_i18n( (float) $amount, $decimals ) . ' ' . $currency ) );
	}

	public function render(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- reading only; every value is validated.
		list( $from, $to, $problem ) = self::range( wp_unslash( $_GET ) );
		$this->render_form( $from, $to );
		if ( null !== $problem ) {
			echo '<div class="notice notice-warning inline retain-report-range"><p>' . esc_html( $problem ) . '</p></div>';
		}
		$answer = $this->client->reports( $from, $to );
		$body   = is_array( $answer['body'] ) ? $answer['body'] : array();
		if ( 200 !== $answer['status'] || ! is_array( $body['total'] ?? null ) || ! is_array( $body['days'] ?? null ) || ! is_array( $body['steps'] ?? null ) ) {
			SidecarTabs::render_error( SidecarTabs::error_of( array( 'error' => $answer['error'] ?? 'invalid_answer' ) + $answer ), __( 'Could not load the report from the sidecar:', 'retain' ) );
			return;
		}
		$currency = strtoupper( sanitize_text_field( (string) ( $body['currency'] ?? '' ) ) );
		if ( ! preg_match( '/^[A-Z]{3}$/', $currency ) ) {
			$currency = function_exists( 'get_woocommerce_currency' ) ? (string) get_woocommerce_currency() : '';
		}
		$this->render_summary( $body, $currency );
		$this->render_chart( $from, $to, array_filter( $body['days'], 'is_array' ), $currency );
		$this->render_steps( array_filter( $body['steps'], 'is_array' ), $body['total'], $currency );
		$this->render_experiments( $body['experiments'] ?? null );
	}

	private function render_form( string $from, string $to ): void {
		?>
		<form method="get" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>" class="retain-report-form">
			<input type="hidden" name="page" value="<?php echo esc_attr( SettingsPage::SLUG ); ?>" />
			<input type="hidden" name="tab" value="reports" />
			<p>
				<label for="retain_report_from"><?php esc_html_e( 'From', 'retain' ); ?></label>
				<input type="date" id="retain_report_from" name="from" value="<?php echo esc_attr( $from ); ?>" required />
				<label for="retain_report_to"><?php esc_html_e( 'To', 'retain' ); ?></label>
				<input type="date" id="retain_report_to" name="to" value="<?php echo esc_attr( $to ); ?>" required />
				<?php submit_button( __( 'Show', 'retain' ), 'secondary', '', false, array( 'id' => 'retain-report-show' ) ); ?>
			</p>
		</form>
		<?php
	}

	private function render_summary( array $body, string $currency ): void {
		$total  = $body['total'];
		$window = (int) ( $body['attribution']['window_days'] ?? 0 );
		echo '<p class="retain-report-summary">' . esc_html(
			sprintf(
				/* translators: 1: e-mails submitted, 2: e-mails clicked, 3: orders */
				__( 'Submitted: %1$s. Clicked: %2$s. Orders: %3$s.', 'retain' ),
				self::figure( $total, 'submitted' ),
				self::figure( $total, 'clicked' ),
				self::figure( $total, 'orders' )
			)
		) . ' ' . esc_html__( 'Revenue:', 'retain' ) . ' ' . self::money( $total['revenue'] ?? '0', $currency ) . '</p>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- money() escapes.
		echo '<p class="description">' . esc_html(
			sprintf(
				/* translators: 1: time zone name, 2: number of days */
				_n(
					'Days are the shop\'s days (%1$s). An order counts for the last e-mail the customer clicked within %2$d day before it.',
					'Days are the shop\'s days (%1$s). An order counts for the last e-mail the customer clicked within %2$d days before it.',
					max( 1, $window ),
					'retain'
				),
				sanitize_text_field( (string) ( $body['timezone'] ?? '' ) ),
				$window
			)
		) . '</p>';
	}

	/** A rounded-up top for an axis, so the ticks read as plain numbers. */
	private static function axis_top( float $max ): float {
		if ( $max <= 0 ) {
			return 1;
		}
		$step = 10 ** floor( log10( $max ) );
		foreach ( array( 1, 2, 2.5, 5, 10 ) as $m ) {
			if ( $max <= $m * $step ) {
				return $m * $step;
			}
		}
		return 10 * $step;
	}

	/**
	 * Submitted, clicked and orders per day as lines (left axis), revenue as bars (right axis). Every
	 * day of the range has a place, with or without figures. Mirrored in right-to-left languages, so
	 * time runs the way the admin reads.
	 *
	 * @param array<int,array<string,mixed>> $days
	 */
	private function render_chart( string $from, string $to, array $days, string $currency ): void {
		$by_date = array();
		foreach ( $days as $d ) {
			if ( is_string( $d['date'] ?? null ) ) {
				$by_date[ $d['date'] ] = $d;
			}
		}
		$dates = array();
		$day   = new \DateTimeImmutable( $from . 'T12:00:00', new \DateTimeZone( 'UTC' ) );
		$last  = new \DateTimeImmutable( $to . 'T12:00:00', new \DateTimeZone( 'UTC' ) );
		for ( $i = 0; $day <= $last && $i < self::MAX_DAYS; $i++, $day = $day->modify( '+1 day' ) ) {
			$dates[] = $day;
		}
		$n      = max( 1, count( $dates ) );
		$series = array();
		$max    = 0;
		$maxrev = 0.0;
		foreach ( $dates as $i => $date ) {
			$row = $by_date[ $date->format( 'Y-m-d' ) ] ?? array();
			foreach ( array_keys( self::LINES ) as $key ) {
				$series[ $key ][ $i ] = is_numeric( $row[ $key ] ?? null ) ? (int) $row[ $key ] : 0;
				$max                  = max( $max, $series[ $key ][ $i ] );
			}
			$series['revenue'][ $i ] = is_numeric( $row['revenue'] ?? null ) ? max( 0.0, (float) $row['revenue'] ) : 0.0;
			$maxrev                  = max( $maxrev, $series['revenue'][ $i ] );
		}
		$top    = self::axis_top( (float) $max );
		$toprev = self::axis_top( $maxrev );
		$w      = self::CHART_WIDTH;
		$h      = self::CHART_HEIGHT;
		$plot_w = $w - 2 * self::PAD_SIDE;
		$plot_h = $h - self::PAD_TOP - self::PAD_BOTTOM;
		$rtl    = is_rtl();
		// Geometry is worked out left to right, then mirrored for right-to-left.
		$x      = static fn( float $v ): float => round( $rtl ? $w - $v : $v, 1 );
		$slot   = $plot_w / $n;
		$centre = static fn( int $i ): float => self::PAD_SIDE + ( $i + 0.5 ) * $slot;
		$y      = static fn( float $v, float $scale ): float => round( self::PAD_TOP + $plot_h - ( $v / $scale ) * $plot_h, 1 );
		$near   = $rtl ? 'end' : 'start';
		$far    = $rtl ? 'start' : 'end';
		$format = _x( 'M j', 'day on the report chart (PHP date format)', 'retain' );

		$title = sprintf(
			/* translators: 1: first day, 2: last day */
			__( 'E-mails submitted, clicked, orders and revenue per day, %1$s to %2$s', 'retain' ),
			wp_date( get_option( 'date_format' ), $dates[0]->getTimestamp(), new \DateTimeZone( 'UTC' ) ),
			wp_date( get_option( 'date_format' ), end( $dates )->getTimestamp(), new \DateTimeZone( 'UTC' ) )
		);
		echo '<figure class="retain-chart" style="margin:1em 0;max-width:' . (int) $w . 'px">';
		printf( '<svg class="retain-chart-svg" role="img" aria-labelledby="retain-chart-title" viewBox="0 0 %1$d %2$d" width="100%%" style="background:#fff;border:1px solid #c3c4c7" font-size="11" font-family="-apple-system,BlinkMacSystemFont,sans-serif">', (int) $w, (int) $h );
		echo '<title id="retain-chart-title">' . esc_html( $title ) . '</title>';
		// Grid and axis labels: counts on the reading side, revenue on the other.
		foreach ( array( 0, 0.5, 1 ) as $f ) {
			$gy = $y( $f * $top, $top );
			printf( '<line x1="%s" x2="%s" y1="%s" y2="%s" stroke="#dcdcde" />', esc_attr( (string) $x( self::PAD_SIDE ) ), esc_attr( (string) $x( $w - self::PAD_SIDE ) ), esc_attr( (string) $gy ), esc_attr( (string) $gy ) );
			// Counts are whole numbers: a half-way tick is labelled only when it is one.
			if ( $f * $top === floor( $f * $top ) ) {
				printf( '<text x="%s" y="%s" text-anchor="%s" fill="#50575e">%s</text>', esc_attr( (string) $x( self::PAD_SIDE - 6 ) ), esc_attr( (string) ( $gy + 4 ) ), esc_attr( $far ), esc_html( number_format_i18n( $f * $top ) ) );
			}
			printf( '<text x="%s" y="%s" text-anchor="%s" fill="#8c8f94">%s</text>', esc_attr( (string) $x( $w - self::PAD_SIDE + 6 ) ), esc_attr( (string) ( $gy + 4 ) ), esc_attr( $near ), esc_html( number_format_i18n( $f * $toprev, $f * $toprev === floor( $f * $toprev ) ? 0 : 2 ) ) );
		}
		$bar = max( 1.0, $slot * 0.6 );
		foreach ( $series['revenue'] as $i => $value ) {
			if ( $value <= 0 ) {
				continue;
			}
			$top_y = $y( $value, $toprev );
			printf( '<rect class="retain-chart-revenue" x="%s" y="%s" width="%s" height="%s" fill="%s" />', esc_attr( (string) round( min( $x( $centre( $i ) - $bar / 2 ), $x( $centre( $i ) + $bar / 2 ) ), 1 ) ), esc_attr( (string) $top_y ), esc_attr( (string) round( $bar, 1 ) ), esc_attr( (string) round( self::PAD_TOP + $plot_h - $top_y, 1 ) ), esc_attr( self::REVENUE_COLOUR ) );
		}
		foreach ( self::LINES as $key => $colour ) {
			$points = array();
			foreach ( $series[ $key ] as $i => $value ) {
				$points[] = $x( $centre( $i ) ) . ',' . $y( (float) $value, $top );
			}
			printf( '<polyline class="retain-chart-line retain-chart-%1$s" data-figure="%1$s" fill="none" stroke="%2$s" stroke-width="2" stroke-linejoin="round" points="%3$s" />', esc_attr( $key ), esc_attr( $colour ), esc_attr( implode( ' ', $points ) ) );
			if ( $n <= 62 ) {
				foreach ( $series[ $key ] as $i => $value ) {
					printf( '<circle cx="%s" cy="%s" r="2.5" fill="%s" />', esc_attr( (string) $x( $centre( $i ) ) ), esc_attr( (string) $y( (float) $value, $top ) ), esc_attr( $colour ) );
				}
			}
		}
		// First, middle and last day under the axis; a hover on any day names its figures.
		foreach ( array_unique( array( 0, intdiv( $n - 1, 2 ), $n - 1 ) ) as $i ) {
			printf( '<text x="%s" y="%d" text-anchor="middle" fill="#50575e">%s</text>', esc_attr( (string) $x( $centre( $i ) ) ), (int) ( $h - 10 ), esc_html( wp_date( $format, $dates[ $i ]->getTimestamp(), new \DateTimeZone( 'UTC' ) ) ) );
		}
		foreach ( $dates as $i => $date ) {
			$tip = sprintf(
				/* translators: 1: day, 2: submitted, 3: clicked, 4: orders, 5: revenue */
				__( '%1$s: submitted %2$s, clicked %3$s, orders %4$s, revenue %5$s', 'retain' ),
				wp_date( get_option( 'date_format' ), $date->getTimestamp(), new \DateTimeZone( 'UTC' ) ),
				number_format_i18n( $series['submitted'][ $i ] ),
				number_format_i18n( $series['clicked'][ $i ] ),
				number_format_i18n( $series['orders'][ $i ] ),
				wp_strip_all_tags( html_entity_decode( self::money( (string) ( $by_date[ $date->format( 'Y-m-d' ) ]['revenue'] ?? '0' ), $currency ), ENT_QUOTES ) )
			);
			printf( '<rect x="%s" y="%d" width="%s" height="%d" fill="transparent"><title>%s</title></rect>', esc_attr( (string) round( min( $x( $centre( $i ) - $slot / 2 ), $x( $centre( $i ) + $slot / 2 ) ), 1 ) ), (int) self::PAD_TOP, esc_attr( (string) round( $slot, 2 ) ), (int) $plot_h, esc_html( $tip ) );
		}
		echo '</svg>';
		echo '<figcaption><ul class="retain-chart-legend" style="display:flex;flex-wrap:wrap;gap:1em;margin:.5em 0">';
		$labels = self::columns();
		foreach ( self::LINES as $key => $colour ) {
			printf( '<li><span aria-hidden="true" style="display:inline-block;width:14px;height:3px;vertical-align:middle;background:%s"></span> %s</li>', esc_attr( $colour ), esc_html( $labels[ $key ] ) );
		}
		printf(
			'<li><span aria-hidden="true" style="display:inline-block;width:10px;height:10px;vertical-align:middle;background:%s"></span> %s</li>',
			esc_attr( self::REVENUE_COLOUR ),
			/* translators: %s: currency code */
			esc_html( sprintf( __( 'Revenue (%s, scale on the other side)', 'retain' ), $currency ) )
		);
		echo '</ul></figcaption></figure>';
	}

	/**
	 * One row per flow step, the totals below.
	 *
	 * @param array<int,array<string,mixed>> $steps
	 */
	private function render_steps( array $steps, array $total, string $currency ): void {
		$columns = self::columns();
		echo '<h2>' . esc_html__( 'Per flow and step', 'retain' ) . '</h2>';
		if ( ! $steps ) {
			echo '<p class="retain-report-empty">' . esc_html__( 'No e-mails were scheduled or sent in these days.', 'retain' ) . '</p>';
			return;
		}
		echo '<div style="overflow-x:auto"><table class="widefat striped retain-report-steps"><thead><tr><th scope="col">' . esc_html__( 'Flow', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Step', 'retain' ) . '</th>';
		foreach ( $columns as $key => $label ) {
			echo '<th scope="col" class="num retain-col-' . esc_attr( $key ) . '">' . esc_html( $label ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $steps as $row ) {
			$flow = sanitize_key( (string) ( $row['flow'] ?? '' ) );
			echo '<tr data-flow="' . esc_attr( $flow ) . '" data-step="' . esc_attr( (string) (int) ( $row['step'] ?? 0 ) ) . '"><th scope="row">' . esc_html( self::flow_label( $flow ) ) . '</th><td>' . esc_html( number_format_i18n( (int) ( $row['step'] ?? 0 ) ) ) . '</td>';
			$this->render_figures( is_array( $row['total'] ?? null ) ? $row['total'] : array(), $currency );
			echo '</tr>';
		}
		echo '</tbody><tfoot><tr class="retain-report-total"><th scope="row" colspan="2">' . esc_html__( 'All flows', 'retain' ) . '</th>';
		$this->render_figures( $total, $currency );
		echo '</tr></tfoot></table></div>';
	}

	private function render_figures( array $metrics, string $currency ): void {
		foreach ( array_keys( self::columns() ) as $key ) {
			$cell = 'revenue' === $key ? self::money( $metrics['revenue'] ?? '0', $currency ) : esc_html( self::figure( $metrics, $key ) );
			echo '<td class="num retain-col-' . esc_attr( $key ) . '">' . $cell . '</td>'; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped above.
		}
	}

	/**
	 * A/B tests and holdout groups, when the sidecar reports them: one row per experiment, its
	 * variants or groups with whatever figures each carries, and the verdict. Nothing when absent.
	 *
	 * @param mixed $experiments
	 */
	private function render_experiments( $experiments ): void {
		if ( ! is_array( $experiments ) ) {
			return;
		}
		$experiments = array_filter( $experiments, 'is_array' );
		if ( ! $experiments ) {
			return;
		}
		$kinds = array(
			'ab'      => __( 'A/B test', 'retain' ),
			'holdout' => __( 'Holdout group', 'retain' ),
		);
		echo '<h2>' . esc_html__( 'Experiments', 'retain' ) . '</h2>';
		echo '<table class="widefat striped retain-report-experiments"><thead><tr><th scope="col">' . esc_html__( 'Flow', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Step', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Kind', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Variants and groups', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Verdict', 'retain' ) . '</th></tr></thead><tbody>';
		foreach ( $experiments as $e ) {
			$kind   = sanitize_key( (string) ( $e['kind'] ?? '' ) );
			$groups = is_array( $e['variants'] ?? null ) ? $e['variants'] : ( is_array( $e['groups'] ?? null ) ? $e['groups'] : array() );
			echo '<tr><td>' . esc_html( self::flow_label( sanitize_key( (string) ( $e['flow'] ?? '' ) ) ) ) . '</td><td>' . esc_html( isset( $e['step'] ) && is_numeric( $e['step'] ) ? number_format_i18n( (int) $e['step'] ) : '—' ) . '</td><td>' . esc_html( $kinds[ $kind ] ?? $kind ) . '</td><td><ul style="margin:0">';
			foreach ( $groups as $g ) {
				echo '<li>' . esc_html( self::describe_group( $g ) ) . '</li>';
			}
			$verdict = is_scalar( $e['verdict'] ?? null ) ? sanitize_text_field( (string) $e['verdict'] ) : '';
			echo '</ul></td><td>' . esc_html( '' !== $verdict ? $verdict : __( 'No verdict yet', 'retain' ) ) . '</td></tr>';
		}
		echo '</tbody></table>';
	}

	/** "B: submitted 120, orders 4" from whatever a variant or group carries. */
	private static function describe_group( $group ): string {
		if ( ! is_array( $group ) ) {
			return is_scalar( $group ) ? sanitize_text_field( (string) $group ) : '';
		}
		$label = '';
		foreach ( array( 'name', 'variant', 'group', 'key', 'id' ) as $k ) {
			if ( isset( $group[ $k ] ) && is_scalar( $group[ $k ] ) ) {
				$label = sanitize_text_field( (string) $group[ $k ] );
				unset( $group[ $k ] );
				break;
			}
		}
		$parts = array();
		foreach ( $group as $key => $value ) {
			if ( ! is_scalar( $value ) ) {
				continue;
			}
			$shown   = is_int( $value ) ? number_format_i18n( $value ) : ( is_bool( $value ) ? ( $value ? __( 'yes', 'retain' ) : __( 'no', 'retain' ) ) : sanitize_text_field( (string) $value ) );
			$parts[] = str_replace( '_', ' ', sanitize_key( (string) $key ) ) . ' ' . $shown;
		}
		return trim( $label . ( $parts ? ': ' . implode( ', ', $parts ) : '' ), ': ' );
	}
}
