<?php
/**
 * WooCommerce → Retain. Every change goes through admin-post.php with a nonce and the
 * manage_woocommerce capability; the browser never talks to the sidecar, WordPress does.
 *
 * @package Retain
 */

namespace Retain\Admin;

use Retain\Delivery;
use Retain\Outbox;
use Retain\SidecarClient;
use Retain\Settings;

defined( 'ABSPATH' ) || exit;

final class SettingsPage {
	public const SLUG = 'retain';
	public const CAP  = 'manage_woocommerce';

	private Settings $settings;
	private SidecarClient $client;
	private Outbox $outbox;
	private Delivery $delivery;
	private SidecarTabs $tabs;
	private ReportsTab $reports;
	private TemplatesTab $templates;

	public function __construct( Settings $settings, SidecarClient $client, Outbox $outbox, Delivery $delivery ) {
		$this->settings = $settings;
		$this->client   = $client;
		$this->outbox   = $outbox;
		$this->delivery = $delivery;
		$this->tabs     = new SidecarTabs( $client, fn( string $tab, array $args = array() ): string => $this->url( $tab, $args ) );
		$this->reports  = new ReportsTab( $client );
		$this->templates = new TemplatesTab( $client, fn( string $tab, array $args = array() ): string => $this->url( $tab, $args ) );
	}

	public function register(): void {
		add_action( 'admin_menu', array( $this, 'menu' ), 60 );
		add_action( 'admin_post_retain_save_settings', array( $this, 'save' ) );
		add_action( 'admin_post_retain_test_connection', array( $this, 'test_connection' ) );
		add_action( 'admin_post_retain_retry_failed', array( $this, 'retry_failed' ) );
		$this->tabs->register();
		$this->templates->register();
	}

	public function menu(): void {
		$hook = add_submenu_page( 'woocommerce', __( 'Retain', 'retain' ), __( 'Retain', 'retain' ), self::CAP, self::SLUG, array( $this, 'render' ) );
		if ( $hook ) {
			// The template editor's Preview / Save / Restore run before any output, so a success can redirect.
			add_action( 'load-' . $hook, array( $this, 'load' ) );
		}
	}

	public function load(): void {
		if ( isset( $_GET['tab'] ) && 'templates' === $_GET['tab'] ) { // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- TemplatesTab::handle() checks the nonce.
			$this->templates->handle();
		}
	}

	/** @return array<string,string> */
	private function tabs(): array {
		return array(
			'connection' => __( 'Connection', 'retain' ),
			'outbox'     => __( 'Delivery', 'retain' ),
			'consent'    => __( 'Consent', 'retain' ),
			'flows'      => __( 'Flows', 'retain' ),
			'templates'  => __( 'Templates', 'retain' ),
			'reports'    => __( 'Reports', 'retain' ),
			'contacts'   => __( 'Contact lookup', 'retain' ),
		);
	}

	private function url( string $tab, array $args = array() ): string {
		return add_query_arg( array_merge( array( 'page' => self::SLUG, 'tab' => $tab ), $args ), admin_url( 'admin.php' ) );
	}

	/** Refuses anyone without the capability or without this action's nonce (every tab's state change). */
	public static function guard( string $action ): void {
		if ( ! current_user_can( self::CAP ) ) {
			wp_die( esc_html__( 'You are not allowed to change Retain settings.', 'retain' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( $action );
	}

	public function save(): void {
		self::guard( 'retain_save_settings' );
		$tab = isset( $_POST['tab'] ) && 'consent' === $_POST['tab'] ? 'consent' : 'connection';
		$in  = wp_unslash( $_POST );
		if ( 'connection' === $tab ) {
			$this->settings->update(
				array(
					'sidecar_url' => (string) ( $in['sidecar_url'] ?? '' ),
					'secret'      => (string) ( $in['secret'] ?? '' ),
				)
			);
		} else {
			$this->settings->update(
				array(
					'consent_text'        => (string) ( $in['consent_text'] ?? '' ),
					'capture_guest_email' => ! empty( $in['capture_guest_email'] ),
				)
			);
		}
		wp_safe_redirect( $this->url( $tab, array( 'retain_notice' => 'saved' ) ) );
		exit;
	}

	public function test_connection(): void {
		self::guard( 'retain_test_connection' );
		$health = $this->client->health();
		$result = array(
			'ok'      => 200 === $health['status'] && is_array( $health['body'] ) && 'ok' === ( $health['body']['status'] ?? '' ),
			'status'  => is_array( $health['body'] ) ? sanitize_text_field( (string) ( $health['body']['status'] ?? '' ) ) : '',
			'version' => is_array( $health['body'] ) ? sanitize_text_field( (string) ( $health['body']['version'] ?? '' ) ) : '',
			'transport' => is_array( $health['body'] ) ? sanitize_text_field( (string) ( $health['body']['transport'] ?? '' ) ) : '',
			'error'   => (string) $health['error'],
			'secret'  => 'unknown',
		);
		if ( $result['ok'] ) {
			// Health is unsigned; a signed call proves both sides hold the same secret.
			$status           = $this->client->admin_status();
			$result['secret'] = 200 === $status['status'] ? 'ok' : ( 401 === $status['status'] ? 'mismatch' : 'unknown' );
		}
		set_transient( 'retain_test_' . get_current_user_id(), $result, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( $this->url( 'connection', array( 'retain_notice' => 'tested' ) ) );
		exit;
	}

	public function retry_failed(): void {
		self::guard( 'retain_retry_failed' );
		$this->outbox->retry_failed();
		$this->delivery->kick();
		wp_safe_redirect( $this->url( 'outbox', array( 'retain_notice' => 'retried' ) ) );
		exit;
	}

	public function render(): void {
		if ( ! current_user_can( self::CAP ) ) {
			return;
		}
		$tabs = $this->tabs();
		$tab  = isset( $_GET['tab'] ) ? sanitize_key( wp_unslash( $_GET['tab'] ) ) : 'connection'; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$tab  = isset( $tabs[ $tab ] ) ? $tab : 'connection';
		echo '<div class="wrap retain-settings"><h1>' . esc_html__( 'Retain', 'retain' ) . '</h1>';
		echo '<nav class="nav-tab-wrapper" aria-label="' . esc_attr__( 'Retain settings', 'retain' ) . '">';
		foreach ( $tabs as $key => $label ) {
			printf( '<a href="%s" class="nav-tab%s"%s>%s</a>', esc_url( $this->url( $key ) ), $key === $tab ? ' nav-tab-active' : '', $key === $tab ? ' aria-current="page"' : '', esc_html( $label ) );
		}
		echo '</nav>';
		$this->render_notice();
		switch ( $tab ) {
			case 'outbox':
				$this->render_outbox();
				break;
			case 'consent':
				$this->render_consent();
				break;
			case 'connection':
				$this->render_connection();
				break;
			case 'flows':
				$this->tabs->render_flows();
				break;
			case 'templates':
				$this->templates->render();
				break;
			case 'contacts':
				$this->tabs->render_contacts();
				break;
			case 'reports':
				$this->reports->render();
				break;
		}
		echo '</div>';
	}

	private function render_notice(): void {
		$notice = isset( $_GET['retain_notice'] ) ? sanitize_key( wp_unslash( $_GET['retain_notice'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$texts  = array(
			'saved'   => __( 'Settings saved.', 'retain' ),
			'retried' => __( 'Failed events are queued again.', 'retain' ),
		);
		if ( isset( $texts[ $notice ] ) ) {
			echo '<div class="notice notice-success is-dismissible"><p>' . esc_html( $texts[ $notice ] ) . '</p></div>';
		}
		if ( 'tested' !== $notice ) {
			return;
		}
		$result = get_transient( 'retain_test_' . get_current_user_id() );
		if ( ! is_array( $result ) ) {
			return;
		}
		if ( $result['ok'] ) {
			$secret = array(
				'ok'       => __( 'The shared secret matches.', 'retain' ),
				'mismatch' => __( 'The sidecar refused our signature: the shared secret differs.', 'retain' ),
				'unknown'  => __( 'The shared secret could not be checked.', 'retain' ),
			);
			$class  = 'mismatch' === $result['secret'] ? 'notice-warning' : 'notice-success';
			printf(
				'<div class="notice %1$s retain-test-result" role="status"><p>%2$s</p><p>%3$s</p></div>',
				esc_attr( $class ),
				/* translators: 1: status word, 2: sidecar version, 3: mail transport */
				esc_html( sprintf( __( 'Connected. Sidecar status: %1$s, version %2$s, transport %3$s.', 'retain' ), $result['status'], $result['version'] ?: '?', $result['transport'] ?: '?' ) ),
				esc_html( $secret[ $result['secret'] ] ?? $secret['unknown'] )
			);
		} else {
			printf(
				'<div class="notice notice-error retain-test-result" role="alert"><p>%s</p></div>',
				/* translators: %s: error code */
				esc_html( sprintf( __( 'Could not reach the sidecar (%s).', 'retain' ), $result['error'] ?: $result['status'] ) )
			);
		}
	}

	private function render_connection(): void {
		$url_locked    = $this->settings->url_locked();
		$secret_locked = $this->settings->secret_locked();
		$has_secret    = '' !== $this->settings->secret();
		$locked_note   = static function ( string $constant ): string {
			/* translators: %s: constant name */
			return '<p class="description retain-locked">' . esc_html( sprintf( __( 'Set in wp-config.php (%s); change it there.', 'retain' ), $constant ) ) . '</p>';
		};
		?>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="retain_save_settings" />
			<input type="hidden" name="tab" value="connection" />
			<?php wp_nonce_field( 'retain_save_settings' ); ?>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="retain_sidecar_url"><?php esc_html_e( 'Sidecar URL', 'retain' ); ?></label></th>
					<td>
						<input type="url" class="regular-text code" dir="ltr" id="retain_sidecar_url" name="sidecar_url" value="<?php echo esc_attr( $this->settings->sidecar_url() ); ?>" placeholder="https://retain.example.com" <?php disabled( $url_locked ); ?> />
						<?php echo $url_locked ? $locked_note( 'RETAIN_SIDECAR_URL' ) : ''; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped ?>
					</td>
				</tr>
				<tr>
					<th scope="row"><label for="retain_secret"><?php esc_html_e( 'Shared secret', 'retain' ); ?></label></th>
					<td>
						<input type="password" class="regular-text code" dir="ltr" id="retain_secret" name="secret" value="" autocomplete="new-password" placeholder="<?php echo esc_attr( $has_secret ? __( 'Saved. Leave empty to keep it.', 'retain' ) : '' ); ?>" <?php disabled( $secret_locked ); ?> />
						<?php echo $secret_locked ? $locked_note( 'RETAIN_SECRET' ) : ''; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped ?>
						<p class="description"><?php esc_html_e( 'The same value as RETAIN_SECRET in the sidecar. It is never shown again.', 'retain' ); ?></p>
					</td>
				</tr>
			</table>
			<?php submit_button( __( 'Save changes', 'retain' ), 'primary', 'submit', true, array( 'id' => 'retain-save' ) ); ?>
		</form>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="retain_test_connection" />
			<?php wp_nonce_field( 'retain_test_connection' ); ?>
			<?php submit_button( __( 'Test connection', 'retain' ), 'secondary', 'submit', false, array( 'id' => 'retain-test-connection' ) ); ?>
		</form>
		<?php
	}

	private function render_consent(): void {
		?>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="retain_save_settings" />
			<input type="hidden" name="tab" value="consent" />
			<?php wp_nonce_field( 'retain_save_settings' ); ?>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="retain_consent_text"><?php esc_html_e( 'Opt-in text', 'retain' ); ?></label></th>
					<td>
						<input type="text" class="large-text" id="retain_consent_text" name="consent_text" value="<?php echo esc_attr( $this->settings->consent_text() ); ?>" />
						<p class="description">
							<?php
							/* translators: %s: version label */
							echo esc_html( sprintf( __( 'Shown next to every opt-in box (never pre-ticked). Recorded with each consent as version %s.', 'retain' ), $this->settings->consent_text_version() ) );
							?>
						</p>
					</td>
				</tr>
				<tr>
					<th scope="row"><?php esc_html_e( 'Guest e-mail capture', 'retain' ); ?></th>
					<td><label><input type="checkbox" name="capture_guest_email" value="1" <?php checked( $this->settings->capture_guest_email() ); ?> /> <?php esc_html_e( 'Remember a guest\'s e-mail address as they type it at checkout (for cart reminders).', 'retain' ); ?></label></td>
				</tr>
			</table>
			<?php submit_button( __( 'Save changes', 'retain' ) ); ?>
		</form>
		<?php
	}

	private function render_outbox(): void {
		$counts = $this->outbox->counts();
		$state  = $this->delivery->state();
		echo '<p>' . esc_html( sprintf( /* translators: 1: pending count, 2: failed count */ __( 'Waiting to be delivered: %1$d. Refused by the sidecar: %2$d.', 'retain' ), $counts['pending'], $counts['failed'] ) ) . '</p>';
		if ( $state['failures'] > 0 ) {
			echo '<div class="notice notice-warning inline"><p>' . esc_html(
				sprintf(
					/* translators: 1: error code, 2: attempts, 3: time */
					__( 'The sidecar did not accept the last delivery (%1$s, %2$d attempts). Next attempt: %3$s.', 'retain' ),
					(string) $state['last_error'],
					$state['failures'],
					$state['next_at'] ? wp_date( get_option( 'time_format' ), (int) $state['next_at'] ) : '—'
				)
			) . '</p></div>';
		}
		$rows = $this->outbox->failed_rows();
		if ( ! $rows ) {
			return;
		}
		echo '<table class="widefat striped"><thead><tr><th>' . esc_html__( 'Event', 'retain' ) . '</th><th>' . esc_html__( 'Type', 'retain' ) . '</th><th>' . esc_html__( 'Error', 'retain' ) . '</th><th>' . esc_html__( 'Recorded (UTC)', 'retain' ) . '</th></tr></thead><tbody>';
		foreach ( $rows as $row ) {
			printf( '<tr><td><code dir="ltr">%s</code></td><td>%s</td><td><code dir="ltr">%s</code></td><td>%s</td></tr>', esc_html( $row['event_id'] ), esc_html( $row['type'] ), esc_html( (string) $row['error_code'] ), esc_html( $row['created_at'] ) );
		}
		echo '</tbody></table>';
		?>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="retain_retry_failed" />
			<?php wp_nonce_field( 'retain_retry_failed' ); ?>
			<?php submit_button( __( 'Send failed events again', 'retain' ), 'secondary' ); ?>
		</form>
		<?php
	}
}
