<?php
/**
 * The Flows and Contact lookup tabs of WooCommerce → Retain (Templates: TemplatesTab). Everything they show comes
 * from the sidecar, asked by WordPress (signed); the browser never talks to the sidecar.
 *
 * @package Retain
 */

namespace Retain\Admin;

use Retain\SidecarClient;

defined( 'ABSPATH' ) || exit;

final class SidecarTabs {
	private const UNITS = array(
		'w' => 604800,
		'd' => 86400,
		'h' => 3600,
		'm' => 60,
		's' => 1,
	);

	private SidecarClient $client;
	/** @var callable(string,array):string */
	private $url;

	/** @param callable(string,array):string $url Builds a settings-page URL for a tab. */
	public function __construct( SidecarClient $client, callable $url ) {
		$this->client = $client;
		$this->url    = $url;
	}

	public function register(): void {
		add_action( 'admin_post_retain_save_flow', array( $this, 'save_flow' ) );
	}

	private function url( string $tab, array $args = array() ): string {
		return ( $this->url )( $tab, $args );
	}

	private function remember( string $key, array $value ): void {
		set_transient( 'retain_' . $key . '_' . get_current_user_id(), $value, 5 * MINUTE_IN_SECONDS );
	}

	private function recall( string $key ): ?array {
		$name  = 'retain_' . $key . '_' . get_current_user_id();
		$value = get_transient( $name );
		delete_transient( $name );
		return is_array( $value ) ? $value : null;
	}

	/** The sidecar's error (code, message, field details) from an answer, sanitized for display. */
	public static function error_of( array $answer ): array {
		$body    = is_array( $answer['body'] ) ? $answer['body'] : array();
		$details = array();
		foreach ( (array) ( $body['error']['details'] ?? array() ) as $d ) {
			if ( is_array( $d ) ) {
				$details[] = trim( sanitize_text_field( (string) ( $d['path'] ?? '' ) ) . ': ' . sanitize_text_field( (string) ( $d['message'] ?? '' ) ), ': ' );
			}
		}
		return array(
			'code'    => sanitize_key( (string) ( $answer['error'] ?? 'unknown' ) ),
			'message' => sanitize_text_field( (string) ( $body['error']['message'] ?? '' ) ),
			'details' => $details,
		);
	}

	public static function render_error( array $error, string $intro ): void {
		echo '<div class="notice notice-error retain-sidecar-error" role="alert"><p>' . esc_html( $intro ) . ' <code dir="ltr">' . esc_html( $error['code'] ) . '</code>';
		if ( '' !== $error['message'] ) {
			echo ' ' . esc_html( $error['message'] );
		}
		echo '</p>';
		if ( $error['details'] ) {
			echo '<ul>';
			foreach ( $error['details'] as $line ) {
				echo '<li dir="ltr"><code>' . esc_html( $line ) . '</code></li>';
			}
			echo '</ul>';
		}
		echo '</div>';
	}

	/** @return array{0:array<int,array<string,mixed>>,1:?array} flows, error */
	private function load_flows(): array {
		$answer = $this->client->flows();
		if ( 200 !== $answer['status'] || ! is_array( $answer['body'] ) || ! isset( $answer['body']['flows'] ) || ! is_array( $answer['body']['flows'] ) ) {
			return array( array(), self::error_of( array( 'error' => $answer['error'] ?? 'invalid_answer' ) + $answer ) );
		}
		return array( array_values( array_filter( $answer['body']['flows'], 'is_array' ) ), null );
	}

	/** Seconds as the largest whole unit: 259200 → [3, 'd']. */
	public static function split_delay( int $seconds ): array {
		if ( $seconds <= 0 ) {
			return array( 0, 'm' );
		}
		foreach ( self::UNITS as $unit => $size ) {
			if ( 0 === $seconds % $size ) {
				return array( intdiv( $seconds, $size ), $unit );
			}
		}
		return array( $seconds, 's' );
	}

	private static function unit_labels(): array {
		return array(
			's' => __( 'seconds', 'retain' ),
			'm' => __( 'minutes', 'retain' ),
			'h' => __( 'hours', 'retain' ),
			'd' => __( 'days', 'retain' ),
			'w' => __( 'weeks', 'retain' ),
		);
	}

	/**
	 * Turns the Flows form into the sidecar's PUT body, or an error code when a field is not valid.
	 *
	 * @param array<string,mixed> $in Unslashed POST data.
	 * @return array{0:?string,1:array<string,mixed>,2:?string} flow id, body, error code
	 */
	public static function flow_changes( array $in ): array {
		$id = isset( $in['flow'] ) ? (string) $in['flow'] : '';
		if ( ! preg_match( '/^[a-z0-9_]{1,64}$/', $id ) ) {
			return array( null, array(), 'flow_unknown' );
		}
		$body  = array( 'enabled' => ! empty( $in['enabled'] ) );
		$steps = array();
		foreach ( array_slice( array_values( is_array( $in['steps'] ?? null ) ? $in['steps'] : array() ), 0, 20 ) as $s ) {
			if ( ! is_array( $s ) ) {
				return array( $id, array(), 'delay_invalid' );
			}
			$number = trim( sanitize_text_field( (string) ( $s['delay'] ?? '' ) ) );
			$unit   = sanitize_key( (string) ( $s['unit'] ?? '' ) );
			if ( ! preg_match( '/^\d{1,6}(\.\d{1,3})?$/', $number ) || ! isset( self::UNITS[ $unit ] ) ) {
				return array( $id, array(), 'delay_invalid' );
			}
			$step = array( 'delay' => $number . $unit );
			// A step without coupon fields keeps its coupon as it is; an empty amount removes it.
			if ( isset( $s['coupon_type'] ) ) {
				$amount  = trim( sanitize_text_field( (string) ( $s['coupon_amount'] ?? '' ) ) );
				$type    = sanitize_key( (string) $s['coupon_type'] );
				$expires = trim( sanitize_text_field( (string) ( $s['coupon_expires'] ?? '14' ) ) );
				if ( '' === $amount ) {
					$step['coupon'] = null;
				} elseif ( ! in_array( $type, array( 'percent', 'fixed_cart' ), true )
					|| ! preg_match( '/^\d{1,7}(\.\d{1,2})?$/', $amount ) || ( 'percent' === $type && (float) $amount > 100 )
					|| ! preg_match( '/^\d{1,3}$/', $expires ) || (int) $expires < 1 || (int) $expires > 365 ) {
					return array( $id, array(), 'coupon_invalid' );
				} else {
					$step['coupon'] = array(
						'type'            => $type,
						'amount'          => $amount,
						'expires_in_days' => (int) $expires,
						'free_shipping'   => ! empty( $s['coupon_free_shipping'] ),
					);
				}
			}
			$steps[] = $step;
		}
		if ( $steps ) {
			$body['steps'] = $steps;
		}
		return array( $id, $body, null );
	}

	public function save_flow(): void {
		SettingsPage::guard( 'retain_save_flow' );
		list( $id, $body, $error ) = self::flow_changes( wp_unslash( $_POST ) );
		$local = array(
			'flow_unknown'   => __( 'No such flow.', 'retain' ),
			'delay_invalid'  => __( 'A delay must be a whole or decimal number.', 'retain' ),
			'coupon_invalid' => __( 'A coupon needs a type, a positive amount (at most 100 for a percentage) and a validity of 1 to 365 days.', 'retain' ),
		);
		if ( null !== $error ) {
			$result = array(
				'ok'    => false,
				'flow'  => (string) $id,
				'error' => array(
					'code'    => $error,
					'message' => $local[ $error ],
					'details' => array(),
				),
			);
		} else {
			$answer = $this->client->save_flow( $id, $body );
			$ok     = 200 === $answer['status'] && is_array( $answer['body'] ) && isset( $answer['body']['flow'] );
			$result = array(
				'ok'    => $ok,
				'flow'  => $id,
				'note'  => $ok ? sanitize_text_field( (string) ( $answer['body']['note'] ?? '' ) ) : '',
				'error' => $ok ? null : self::error_of( $answer ),
			);
		}
		$this->remember( 'flow_result', $result );
		wp_safe_redirect( $this->url( 'flows', array( 'retain_notice' => $result['ok'] ? 'flow_saved' : 'flow_failed' ) ) . '#retain-flow-' . $result['flow'] );
		exit;
	}

	/**
	 * One step's discount: type, amount, validity, free shipping. The sidecar describes coupons in
	 * its PUT shape (snake_case); the camelCase of older sidecars is read too.
	 */
	private static function render_coupon_fields( string $field, string $dom_id, ?array $coupon ): void {
		$type    = 'fixed_cart' === ( $coupon['type'] ?? '' ) ? 'fixed_cart' : 'percent';
		$expires = (int) ( $coupon['expires_in_days'] ?? $coupon['expiresInDays'] ?? 14 );
		$free    = ! empty( $coupon['free_shipping'] ?? $coupon['freeShipping'] ?? false );
		$amount  = null === $coupon ? '' : (string) ( $coupon['amount'] ?? '' );
		$prefix  = 'retain-' . $dom_id . '-coupon';
		?>
		<span class="retain-coupon-fields">
			<label class="screen-reader-text" for="<?php echo esc_attr( $prefix ); ?>-amount"><?php esc_html_e( 'Coupon amount', 'retain' ); ?></label>
			<input type="text" inputmode="decimal" class="small-text retain-coupon-amount" dir="ltr" id="<?php echo esc_attr( $prefix ); ?>-amount" name="<?php echo esc_attr( $field ); ?>[coupon_amount]" value="<?php echo esc_attr( $amount ); ?>" placeholder="<?php esc_attr_e( 'none', 'retain' ); ?>" />
			<select name="<?php echo esc_attr( $field ); ?>[coupon_type]" class="retain-coupon-type" aria-label="<?php esc_attr_e( 'Coupon type', 'retain' ); ?>">
				<option value="percent" <?php selected( $type, 'percent' ); ?>><?php esc_html_e( '% off the cart', 'retain' ); ?></option>
				<option value="fixed_cart" <?php selected( $type, 'fixed_cart' ); ?>><?php esc_html_e( 'fixed amount off the cart', 'retain' ); ?></option>
			</select>
			<label>
				<?php esc_html_e( 'valid for', 'retain' ); ?>
				<input type="number" min="1" max="365" step="1" class="tiny-text retain-coupon-expires" name="<?php echo esc_attr( $field ); ?>[coupon_expires]" value="<?php echo esc_attr( (string) $expires ); ?>" />
				<?php esc_html_e( 'days', 'retain' ); ?>
			</label>
			<label><input type="checkbox" name="<?php echo esc_attr( $field ); ?>[coupon_free_shipping]" value="1" <?php checked( $free ); ?> /> <?php esc_html_e( 'free shipping', 'retain' ); ?></label>
		</span>
		<p class="description"><?php echo esc_html( null === $coupon ? __( 'No coupon: enter an amount to add one.', 'retain' ) : __( 'An empty amount removes the coupon.', 'retain' ) ); ?></p>
		<?php
	}

	public function render_flows(): void {
		$result = $this->recall( 'flow_result' );
		if ( $result ) {
			if ( $result['ok'] ) {
				echo '<div class="notice notice-success retain-flow-result" role="status"><p>' . esc_html(
					/* translators: %s: flow id */
					sprintf( __( 'Flow %s saved.', 'retain' ), $result['flow'] )
				) . '</p>' . ( '' !== $result['note'] ? '<p>' . esc_html( $result['note'] ) . '</p>' : '' ) . '</div>';
			} else {
				/* translators: %s: flow id */
				self::render_error( $result['error'], sprintf( __( 'The sidecar did not save flow %s:', 'retain' ), $result['flow'] ) );
			}
		}
		list( $flows, $error ) = $this->load_flows();
		if ( $error ) {
			self::render_error( $error, __( 'Could not load the flows from the sidecar:', 'retain' ) );
			return;
		}
		echo '<p>' . esc_html__( 'The flows the sidecar runs. Each step is sent the given time after the contact entered the flow. A change applies to contacts from their next step; steps already scheduled keep their time.', 'retain' ) . '</p>';
		$units = self::unit_labels();
		foreach ( $flows as $flow ) {
			$id = (string) ( $flow['id'] ?? '' );
			if ( ! preg_match( '/^[a-z0-9_]{1,64}$/', $id ) ) {
				continue;
			}
			$trigger = is_array( $flow['trigger'] ?? null ) ? $flow['trigger'] : array();
			$when    = isset( $trigger['scan'] ) ? (string) $trigger['scan'] : implode( ', ', array_map( 'strval', (array) ( $trigger['events'] ?? array() ) ) );
			?>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" class="retain-flow" id="retain-flow-<?php echo esc_attr( $id ); ?>" data-flow="<?php echo esc_attr( $id ); ?>">
				<h2><?php echo esc_html( (string) ( $flow['name'] ?? $id ) ); ?> <code dir="ltr"><?php echo esc_html( $id ); ?></code></h2>
				<input type="hidden" name="action" value="retain_save_flow" />
				<input type="hidden" name="flow" value="<?php echo esc_attr( $id ); ?>" />
				<?php wp_nonce_field( 'retain_save_flow' ); ?>
				<p>
					<label><input type="checkbox" name="enabled" value="1" class="retain-flow-enabled" <?php checked( ! empty( $flow['enabled'] ) ); ?> /> <?php esc_html_e( 'On', 'retain' ); ?></label>
					<span class="description">
						<?php
						echo esc_html(
							sprintf(
								/* translators: 1: kind of email, 2: what starts the flow, 3: version */
								__( 'Kind: %1$s. Starts on: %2$s. Version %3$d.', 'retain' ),
								(string) ( $flow['kind'] ?? '' ),
								$when,
								(int) ( $flow['version'] ?? 0 )
							)
						);
						?>
					</span>
				</p>
				<table class="widefat striped retain-flow-steps">
					<thead><tr><th scope="col"><?php esc_html_e( 'Step', 'retain' ); ?></th><th scope="col"><?php esc_html_e( 'Sent after', 'retain' ); ?></th><th scope="col"><?php esc_html_e( 'Coupon', 'retain' ); ?></th><th scope="col"><?php esc_html_e( 'Template', 'retain' ); ?></th></tr></thead>
					<tbody>
					<?php
					foreach ( array_values( (array) ( $flow['steps'] ?? array() ) ) as $i => $step ) {
						if ( ! is_array( $step ) ) {
							continue;
						}
						list( $number, $unit ) = self::split_delay( (int) round( (float) ( $step['delay_seconds'] ?? 0 ) ) );
						$field                 = 'steps[' . $i . ']';
						$coupon                = is_array( $step['coupon'] ?? null ) ? $step['coupon'] : null;
						?>
						<tr>
							<td><?php echo esc_html( (string) ( $i + 1 ) ); ?></td>
							<td>
								<label class="screen-reader-text" for="retain-<?php echo esc_attr( $id . '-' . $i ); ?>-delay"><?php esc_html_e( 'Delay', 'retain' ); ?></label>
								<input type="number" min="0" step="any" class="small-text" id="retain-<?php echo esc_attr( $id . '-' . $i ); ?>-delay" name="<?php echo esc_attr( $field ); ?>[delay]" value="<?php echo esc_attr( (string) $number ); ?>" />
								<select name="<?php echo esc_attr( $field ); ?>[unit]" aria-label="<?php esc_attr_e( 'Unit', 'retain' ); ?>">
									<?php foreach ( $units as $key => $label ) : ?>
										<option value="<?php echo esc_attr( $key ); ?>" <?php selected( $unit, $key ); ?>><?php echo esc_html( $label ); ?></option>
									<?php endforeach; ?>
								</select>
							</td>
							<td class="retain-coupon">
								<?php
								// A service flow (e.g. the opt-in confirmation) never gets a coupon it did not ship with.
								if ( $coupon || 'service' !== ( $flow['purpose'] ?? '' ) ) {
									self::render_coupon_fields( $field, $id . '-' . $i, $coupon );
								} else {
									echo '&mdash;';
								}
								?>
							</td>
							<td><code dir="ltr"><?php echo esc_html( (string) ( $step['template'] ?? '' ) ); ?></code></td>
						</tr>
						<?php
					}
					?>
					</tbody>
				</table>
				<?php submit_button( __( 'Save flow', 'retain' ), 'secondary', 'submit', true, array( 'id' => 'retain-save-flow-' . $id ) ); ?>
			</form>
			<?php
		}
	}

	/** The reason column: the reason first, then any other detail as "key: value". */
	public static function describe_detail( $detail ): string {
		if ( ! is_array( $detail ) ) {
			return is_scalar( $detail ) ? (string) $detail : '';
		}
		$parts = array();
		if ( isset( $detail['reason'] ) && is_scalar( $detail['reason'] ) ) {
			$parts[] = (string) $detail['reason'];
		}
		foreach ( $detail as $key => $value ) {
			if ( 'reason' === $key || null === $value ) {
				continue;
			}
			$parts[] = $key . ': ' . ( is_scalar( $value ) ? ( is_bool( $value ) ? ( $value ? 'true' : 'false' ) : (string) $value ) : (string) wp_json_encode( $value ) );
		}
		return implode( '; ', $parts );
	}

	public function render_contacts(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- verified below before the sidecar is asked.
		$email = isset( $_GET['email'] ) ? sanitize_email( wp_unslash( $_GET['email'] ) ) : '';
		$nonce = isset( $_GET['_wpnonce'] ) ? sanitize_text_field( wp_unslash( $_GET['_wpnonce'] ) ) : '';
		// phpcs:enable
		?>
		<form method="get" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>" class="retain-lookup">
			<input type="hidden" name="page" value="<?php echo esc_attr( SettingsPage::SLUG ); ?>" />
			<input type="hidden" name="tab" value="contacts" />
			<?php wp_nonce_field( 'retain_lookup', '_wpnonce', false ); ?>
			<p>
				<label for="retain_lookup_email"><?php esc_html_e( 'E-mail address', 'retain' ); ?></label>
				<input type="email" class="regular-text" dir="ltr" id="retain_lookup_email" name="email" value="<?php echo esc_attr( $email ); ?>" required />
				<?php submit_button( __( 'Look up', 'retain' ), 'secondary', '', false, array( 'id' => 'retain-lookup' ) ); ?>
			</p>
		</form>
		<?php
		if ( '' === $email ) {
			return;
		}
		if ( ! wp_verify_nonce( $nonce, 'retain_lookup' ) ) {
			echo '<div class="notice notice-error" role="alert"><p>' . esc_html__( 'The form has expired. Please try again.', 'retain' ) . '</p></div>';
			return;
		}
		if ( ! is_email( $email ) ) {
			echo '<div class="notice notice-error" role="alert"><p>' . esc_html__( 'Please enter a valid e-mail address.', 'retain' ) . '</p></div>';
			return;
		}
		$answer = $this->client->timeline( $email );
		if ( 404 === $answer['status'] && 'contact_not_found' === $answer['error'] ) {
			echo '<div class="notice notice-info retain-contact-missing"><p>' . esc_html__( 'The sidecar holds no contact with that address.', 'retain' ) . '</p></div>';
			return;
		}
		if ( 200 !== $answer['status'] || ! is_array( $answer['body'] ) ) {
			self::render_error( self::error_of( $answer ), __( 'Could not load the contact from the sidecar:', 'retain' ) );
			return;
		}
		$body   = $answer['body'];
		$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
		$unsub  = isset( $body['unsubscribed_at'] ) && is_string( $body['unsubscribed_at'] ) ? strtotime( $body['unsubscribed_at'] ) : false;
		echo '<p class="retain-contact-summary">' . esc_html(
			sprintf(
				/* translators: 1: e-mail address, 2: consent state */
				__( '%1$s — consent: %2$s.', 'retain' ),
				(string) ( $body['email'] ?? $email ),
				(string) ( $body['consent'] ?? '—' )
			)
		);
		if ( $unsub ) {
			/* translators: %s: date and time */
			echo ' ' . esc_html( sprintf( __( 'Unsubscribed %s.', 'retain' ), wp_date( $format, $unsub ) ) );
		}
		echo '</p>';
		$rows = array_filter( (array) ( $body['timeline'] ?? array() ), 'is_array' );
		if ( ! $rows ) {
			echo '<p>' . esc_html__( 'Nothing has happened for this contact yet.', 'retain' ) . '</p>';
			return;
		}
		echo '<table class="widefat striped retain-timeline"><thead><tr><th scope="col">' . esc_html__( 'Time', 'retain' ) . '</th><th scope="col">' . esc_html__( 'What', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Flow / step', 'retain' ) . '</th><th scope="col">' . esc_html__( 'Reason', 'retain' ) . '</th></tr></thead><tbody>';
		foreach ( array_reverse( $rows ) as $row ) {
			$at   = is_string( $row['at'] ?? null ) ? strtotime( $row['at'] ) : false;
			$flow = (string) ( $row['flow'] ?? '' );
			$step = isset( $row['step'] ) && is_numeric( $row['step'] ) ? (int) $row['step'] : null;
			printf(
				'<tr class="retain-timeline-%1$s"><td>%2$s</td><td>%3$s</td><td><code dir="ltr">%4$s</code></td><td>%5$s</td></tr>',
				esc_attr( sanitize_html_class( (string) ( $row['kind'] ?? '' ) ) ),
				esc_html( $at ? wp_date( $format, $at ) : '' ),
				esc_html( (string) ( $row['kind'] ?? '' ) ),
				esc_html( '' === $flow ? '—' : $flow . ( null !== $step ? ' / ' . $step : '' ) ),
				esc_html( self::describe_detail( $row['detail'] ?? null ) )
			);
		}
		echo '</tbody></table>';
	}
}
