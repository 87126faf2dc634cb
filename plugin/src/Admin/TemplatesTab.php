<?php
/**
 * The Templates tab of WooCommerce → Retain: edit a flow step's subject, preheader and Liquid body,
 * preview the unsaved text rendered by the sidecar, save it, restore the shipped default, send a
 * test. The sidecar owns the templates and checks every edit (syntax, unknown variables and
 * filters, each with line and column); WordPress stores none of it.
 *
 * Preview, Save and Restore post back to the tab itself and are handled on the page's load hook,
 * before any output: a success redirects (so a reload does not repeat it), a refusal renders the
 * page again with the admin's text still in the editor.
 *
 * @package Retain
 */

namespace Retain\Admin;

use Retain\SidecarClient;

defined( 'ABSPATH' ) || exit;

final class TemplatesTab {
	/** The sidecar refuses larger bodies (413); checked here first so the admin's text stays put. */
	public const MAX_BYTES = 262144;
	public const NONCE     = 'retain_templates';

	private SidecarClient $client;
	/** @var callable(string,array):string */
	private $url;
	/** What the posted action left to show: target, draft, problems, error, preview. */
	private ?array $outcome = null;

	/** @param callable(string,array):string $url Builds a settings-page URL for a tab. */
	public function __construct( SidecarClient $client, callable $url ) {
		$this->client = $client;
		$this->url    = $url;
	}

	public function register(): void {
		add_action( 'admin_post_retain_template_send', array( $this, 'test_send' ) );
	}

	private function url( array $args = array() ): string {
		return ( $this->url )( 'templates', $args );
	}

	/** "welcome:2" → ['welcome', 2], or null. */
	public static function parse_target( string $value ): ?array {
		if ( ! preg_match( '/^([a-z0-9_]{1,64}):(\d{1,2})$/', $value, $m ) || (int) $m[2] < 1 || (int) $m[2] > 20 ) {
			return null;
		}
		return array( $m[1], (int) $m[2] );
	}

	/**
	 * The editor's posted text, unslashed and otherwise untouched (it is Liquid and HTML: no kses, no
	 * sanitize_textarea_field). Either the split fields or, for a file the editor does not split, the
	 * whole text; null when the form carried no editor.
	 *
	 * @param array<string,mixed> $in Unslashed POST data.
	 * @return array{mode:string,subject:string,preheader:string,front_matter:string,body:string,source:string}|null
	 */
	public static function draft_of( array $in ): ?array {
		$text = static fn( string $key ): string => is_string( $in[ $key ] ?? null ) ? $in[ $key ] : '';
		if ( isset( $in['source'] ) ) {
			$source = TemplateSource::normalise( $text( 'source' ) );
			return array(
				'mode'         => 'raw',
				'subject'      => '',
				'preheader'    => '',
				'front_matter' => '',
				'body'         => '',
				'source'       => $source,
			);
		}
		if ( ! isset( $in['body'] ) ) {
			return null;
		}
		$draft = array(
			'mode'         => 'fields',
			'subject'      => TemplateSource::one_line( $text( 'subject' ) ),
			'preheader'    => TemplateSource::one_line( $text( 'preheader' ) ),
			'front_matter' => trim( TemplateSource::normalise( $text( 'front_matter' ) ), "\n" ),
			'body'         => TemplateSource::normalise( $text( 'body' ) ),
		);
		$draft['source'] = TemplateSource::join( $draft['subject'], $draft['preheader'], $draft['front_matter'], $draft['body'] );
		return $draft;
	}

	/** What is wrong with a draft before the sidecar is asked: too large, not UTF-8. */
	private static function local_problem( string $source ): ?array {
		if ( strlen( $source ) > self::MAX_BYTES ) {
			/* translators: %d: size limit in kilobytes */
			return self::error( 'template_too_large', sprintf( __( 'A template can be at most %d KB.', 'retain' ), (int) ( self::MAX_BYTES / 1024 ) ) );
		}
		if ( ! preg_match( '//u', $source ) ) {
			return self::error( 'template_encoding', __( 'The template is not valid UTF-8 text.', 'retain' ) );
		}
		return null;
	}

	private static function error( string $code, string $message ): array {
		return array(
			'code'    => $code,
			'message' => $message,
			'details' => array(),
		);
	}

	/**
	 * The problems of a 422 template_invalid answer, sanitized for display.
	 *
	 * @return array<int,array{kind:string,message:string,line:?int,column:?int}>
	 */
	public static function problems_of( array $answer ): array {
		$body     = is_array( $answer['body'] ?? null ) ? $answer['body'] : array();
		$problems = array();
		foreach ( (array) ( $body['error']['details']['problems'] ?? array() ) as $p ) {
			if ( ! is_array( $p ) ) {
				continue;
			}
			$problems[] = array(
				'kind'    => sanitize_key( (string) ( $p['kind'] ?? '' ) ),
				'message' => sanitize_text_field( (string) ( $p['message'] ?? '' ) ),
				'line'    => isset( $p['line'] ) && is_numeric( $p['line'] ) ? max( 1, (int) $p['line'] ) : null,
				'column'  => isset( $p['column'] ) && is_numeric( $p['column'] ) ? max( 1, (int) $p['column'] ) : null,
			);
		}
		return $problems;
	}

	/** Handles Preview, Save and Restore default (the page's load hook). */
	public function handle(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- SettingsPage::guard() checks it before anything is used.
		if ( 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) || ! isset( $_POST['retain_template_action'] ) ) {
			return;
		}
		SettingsPage::guard( self::NONCE );
		$in     = wp_unslash( $_POST );
		$action = sanitize_key( (string) ( is_string( $in['retain_template_action'] ) ? $in['retain_template_action'] : '' ) );
		$target = self::parse_target( sanitize_text_field( (string) ( is_string( $in['target'] ?? null ) ? $in['target'] : '' ) ) );
		$draft  = 'restore' === $action ? null : self::draft_of( $in );
		$email  = sanitize_email( (string) ( is_string( $in['email'] ?? null ) ? $in['email'] : '' ) );
		$locale = sanitize_text_field( (string) ( is_string( $in['locale'] ?? null ) ? $in['locale'] : '' ) );

		$this->outcome = array(
			'action'   => $action,
			'target'   => $target,
			'draft'    => $draft,
			'email'    => $email,
			'locale'   => $locale,
			'problems' => array(),
			'error'    => null,
			'preview'  => null,
		);
		if ( null === $target || ! in_array( $action, array( 'preview', 'save', 'restore' ), true ) ) {
			$this->outcome['error'] = self::error( 'request_invalid', __( 'Choose a flow and step.', 'retain' ) );
			return;
		}
		if ( 'restore' === $action ) {
			$answer = $this->client->restore_template( $target[0], $target[1] );
			if ( 200 === $answer['status'] ) {
				$this->done( $target, 'template_restored' );
				return;
			}
			$this->outcome['error'] = SidecarTabs::error_of( $answer );
			return;
		}
		if ( null !== $draft ) {
			$problem = self::local_problem( $draft['source'] );
			if ( $problem ) {
				$this->outcome['error'] = $problem;
				return;
			}
		}
		if ( 'save' === $action ) {
			if ( null === $draft ) {
				$this->outcome['error'] = self::error( 'request_invalid', __( 'There is no template text to save.', 'retain' ) );
				return;
			}
			$answer = $this->client->save_template( $target[0], $target[1], $draft['source'] );
			if ( 200 === $answer['status'] && is_array( $answer['body'] ) ) {
				$this->done( $target, 'template_saved' );
				return;
			}
		} else {
			$body = array(
				'flow' => $target[0],
				'step' => $target[1],
			);
			if ( is_email( $email ) ) {
				$body['email'] = $email;
			}
			if ( preg_match( '/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/', $locale ) ) {
				$body['locale'] = $locale;
			}
			if ( null !== $draft ) {
				$body['source'] = $draft['source'];
			}
			$answer = $this->client->preview_template( $body );
			if ( 200 === $answer['status'] && is_array( $answer['body'] ) ) {
				$this->outcome['preview'] = $answer['body'];
				return;
			}
		}
		$this->outcome['problems'] = 422 === $answer['status'] ? self::problems_of( $answer ) : array();
		$this->outcome['error']    = SidecarTabs::error_of( $answer );
		if ( $this->outcome['problems'] ) {
			$this->outcome['error']['details'] = array(); // Listed below with their positions instead.
		}
	}

	private function done( array $target, string $notice ): void {
		wp_safe_redirect( $this->url( array( 'target' => $target[0] . ':' . $target[1], 'retain_notice' => $notice ) ) );
		exit;
	}

	public function test_send(): void {
		SettingsPage::guard( self::NONCE );
		$in     = wp_unslash( $_POST );
		$target = self::parse_target( sanitize_text_field( (string) ( $in['target'] ?? '' ) ) );
		$to     = sanitize_email( (string) ( $in['to'] ?? '' ) );
		$email  = sanitize_email( (string) ( $in['email'] ?? '' ) );
		if ( null === $target ) {
			$result = array( 'ok' => false, 'error' => self::error( 'request_invalid', __( 'Choose a flow and step.', 'retain' ) ) );
		} elseif ( ! is_email( $to ) ) {
			$result = array( 'ok' => false, 'error' => self::error( 'request_invalid', __( 'Enter the address to send the test to.', 'retain' ) ) );
		} else {
			$body = array(
				'flow' => $target[0],
				'step' => $target[1],
				'to'   => $to,
			);
			if ( is_email( $email ) ) {
				$body['email'] = $email;
			}
			$answer = $this->client->test_send( $body );
			$ok     = 200 === $answer['status'];
			$result = array(
				'ok'      => $ok,
				'to'      => $to,
				'subject' => $ok && is_array( $answer['body'] ) ? sanitize_text_field( (string) ( $answer['body']['subject'] ?? '' ) ) : '',
				'error'   => $ok ? null : SidecarTabs::error_of( $answer ),
			);
		}
		set_transient( 'retain_test_send_' . get_current_user_id(), $result, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( $this->url( array( 'retain_notice' => 'test_sent', 'target' => $target ? $target[0] . ':' . $target[1] : '' ) ) );
		exit;
	}

	private static function recall_test_send(): ?array {
		$name  = 'retain_test_send_' . get_current_user_id();
		$value = get_transient( $name );
		delete_transient( $name );
		return is_array( $value ) ? $value : null;
	}

	private function render_notices(): void {
		$sent = self::recall_test_send();
		if ( $sent ) {
			if ( $sent['ok'] ) {
				/* translators: 1: address, 2: subject */
				echo '<div class="notice notice-success retain-test-send-result" role="status"><p>' . esc_html( sprintf( __( 'Test e-mail sent to %1$s: "%2$s".', 'retain' ), $sent['to'], $sent['subject'] ) ) . '</p></div>';
			} else {
				SidecarTabs::render_error( $sent['error'], __( 'The test e-mail was not sent:', 'retain' ) );
			}
		}
		$notice = isset( $_GET['retain_notice'] ) ? sanitize_key( wp_unslash( $_GET['retain_notice'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended
		$texts  = array(
			'template_saved'    => __( 'Template saved. Every later e-mail of this step uses it.', 'retain' ),
			'template_restored' => __( 'The default template is back. Every later e-mail of this step uses it.', 'retain' ),
		);
		if ( null === $this->outcome && isset( $texts[ $notice ] ) ) {
			echo '<div class="notice notice-success retain-template-result" role="status"><p>' . esc_html( $texts[ $notice ] ) . '</p></div>';
		}
	}

	/** @return array<int,array<string,mixed>>|null the flows, or null after showing why not */
	private function load_flows(): ?array {
		$answer = $this->client->flows();
		if ( 200 !== $answer['status'] || ! is_array( $answer['body'] ) || ! is_array( $answer['body']['flows'] ?? null ) ) {
			SidecarTabs::render_error( SidecarTabs::error_of( array( 'error' => $answer['error'] ?? 'invalid_answer' ) + $answer ), __( 'Could not load the flows from the sidecar:', 'retain' ) );
			return null;
		}
		return array_values( array_filter( $answer['body']['flows'], 'is_array' ) );
	}

	/** "flow:step" of every edited template; empty when the sidecar cannot say (the marks are a convenience). */
	private function edited_steps(): array {
		$answer = $this->client->templates();
		$edited = array();
		if ( 200 === $answer['status'] && is_array( $answer['body'] ) ) {
			foreach ( (array) ( $answer['body']['templates'] ?? array() ) as $t ) {
				if ( is_array( $t ) && ! empty( $t['overridden'] ) ) {
					$edited[ (string) ( $t['flow'] ?? '' ) . ':' . (int) ( $t['step'] ?? 0 ) ] = true;
				}
			}
		}
		return $edited;
	}

	public function render(): void {
		$this->render_notices();
		$flows = $this->load_flows();
		if ( null === $flows ) {
			return;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- choosing a step only reads.
		$current = $this->outcome ? ( $this->outcome['target'] ? implode( ':', $this->outcome['target'] ) : '' ) : sanitize_text_field( wp_unslash( (string) ( $_GET['target'] ?? '' ) ) );
		$target  = self::parse_target( $current );
		$edited  = $this->edited_steps();
		$this->render_chooser( $flows, $current, $edited );
		if ( null === $target ) {
			if ( $this->outcome && $this->outcome['error'] ) {
				SidecarTabs::render_error( $this->outcome['error'], __( 'Nothing was done:', 'retain' ) );
			}
			return;
		}
		$answer = $this->client->template( $target[0], $target[1] );
		$info   = 200 === $answer['status'] && is_array( $answer['body'] ) && is_string( $answer['body']['source'] ?? null ) ? $answer['body'] : null;
		if ( null === $info ) {
			SidecarTabs::render_error( SidecarTabs::error_of( array( 'error' => $answer['error'] ?? 'invalid_answer' ) + $answer ), __( 'Could not load this template from the sidecar:', 'retain' ) );
		}
		$draft = $this->outcome['draft'] ?? null;
		if ( null === $draft && null !== $info ) {
			$split = TemplateSource::split( $info['source'] );
			$draft = $split
				? array( 'mode' => 'fields', 'source' => TemplateSource::join( $split['subject'], $split['preheader'], $split['front_matter'], $split['body'] ) ) + $split
				: array( 'mode' => 'raw', 'source' => TemplateSource::normalise( $info['source'] ) );
		}
		$this->render_editor( $target, $info, $draft );
		$this->render_preview();
	}

	private function render_chooser( array $flows, string $current, array $edited ): void {
		?>
		<form method="get" action="<?php echo esc_url( admin_url( 'admin.php' ) ); ?>" id="retain-template-choose">
			<input type="hidden" name="page" value="<?php echo esc_attr( SettingsPage::SLUG ); ?>" />
			<input type="hidden" name="tab" value="templates" />
			<p>
				<label for="retain_template_target"><?php esc_html_e( 'Flow and step', 'retain' ); ?></label>
				<select id="retain_template_target" name="target" onchange="this.form.submit()">
					<option value=""><?php esc_html_e( '— choose a template —', 'retain' ); ?></option>
					<?php
					foreach ( $flows as $flow ) {
						$id = (string) ( $flow['id'] ?? '' );
						foreach ( array_values( (array) ( $flow['steps'] ?? array() ) ) as $i => $step ) {
							$value = $id . ':' . ( $i + 1 );
							/* translators: 1: flow name, 2: step number */
							$label = sprintf( __( '%1$s — step %2$d', 'retain' ), (string) ( $flow['name'] ?? $id ), $i + 1 );
							if ( isset( $edited[ $value ] ) ) {
								/* translators: %s: flow and step */
								$label = sprintf( __( '%s (edited)', 'retain' ), $label );
							}
							printf( '<option value="%s" %s>%s</option>', esc_attr( $value ), selected( $current, $value, false ), esc_html( $label ) );
						}
					}
					?>
				</select>
				<?php submit_button( __( 'Edit', 'retain' ), 'secondary', '', false, array( 'id' => 'retain-template-open' ) ); ?>
			</p>
		</form>
		<?php
	}

	private function render_status( array $info ): void {
		if ( empty( $info['overridden'] ) ) {
			echo '<p class="retain-template-status" data-state="default">' . esc_html__( 'Default: the template shipped with Retain.', 'retain' ) . '</p>';
			return;
		}
		$at   = is_string( $info['updated_at'] ?? null ) ? strtotime( $info['updated_at'] ) : false;
		$when = $at ? wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $at ) : '—';
		/* translators: %s: date and time */
		echo '<p class="retain-template-status" data-state="edited"><strong>' . esc_html__( 'Edited', 'retain' ) . '</strong> — ' . esc_html( sprintf( __( 'last saved %s.', 'retain' ), $when ) ) . '</p>';
	}

	/** Each problem with its line and column in the file, and where that is in the editor's fields. */
	private function render_problems( ?array $draft ): void {
		$outcome = $this->outcome;
		if ( ! $outcome || ! $outcome['error'] ) {
			return;
		}
		$intro = array(
			'save'    => __( 'The template was not saved:', 'retain' ),
			'preview' => __( 'The sidecar could not render this template:', 'retain' ),
			'restore' => __( 'The default template was not restored:', 'retain' ),
		);
		SidecarTabs::render_error( $outcome['error'], $intro[ $outcome['action'] ] ?? __( 'Nothing was done:', 'retain' ) );
		if ( ! $outcome['problems'] ) {
			return;
		}
		$fields = 'fields' === ( $draft['mode'] ?? '' );
		$offset = $draft ? TemplateSource::body_offset( $draft['source'] ) : 0;
		echo '<div class="notice notice-error inline retain-template-problems" role="alert"><p>' . esc_html__( 'Fix these and save again; your text is kept below.', 'retain' ) . '</p><ul>';
		foreach ( $outcome['problems'] as $p ) {
			$line   = $p['line'];
			$column = $p['column'] ?? 1;
			if ( null === $line ) {
				$where = __( 'position unknown', 'retain' );
			} elseif ( null === $p['column'] ) {
				/* translators: %d: line number */
				$where = sprintf( __( 'line %d', 'retain' ), $line );
			} else {
				/* translators: 1: line number, 2: column number */
				$where = sprintf( __( 'line %1$d, column %2$d', 'retain' ), $line, $column );
			}
			$field = '';
			$jump  = null;
			if ( null !== $line && $fields ) {
				if ( $line > $offset ) {
					/* translators: %d: line number within the body */
					$field = sprintf( __( 'body line %d', 'retain' ), $line - $offset );
					$jump  = array( 'retain_template_body', $line - $offset );
				} elseif ( 2 === $line ) {
					$field = __( 'subject', 'retain' );
				} elseif ( 3 === $line ) {
					$field = __( 'preheader', 'retain' );
				} else {
					$field = __( 'front matter', 'retain' );
				}
			} elseif ( null !== $line ) {
				$jump = array( 'retain_template_source', $line );
			}
			$label = esc_html( $where ) . ( '' !== $field ? ' (' . esc_html( $field ) . ')' : '' );
			if ( $jump ) {
				$label = sprintf( '<a href="#%1$s" data-field="%1$s" data-line="%2$d" data-column="%3$d">%4$s</a>', esc_attr( $jump[0] ), (int) $jump[1], (int) $column, $label );
			}
			printf(
				'<li class="retain-template-problem" data-kind="%1$s" data-line="%2$s" data-column="%3$s"><code dir="ltr">%4$s</code> %5$s: <span dir="ltr">%6$s</span></li>',
				esc_attr( $p['kind'] ),
				esc_attr( null === $line ? '' : (string) $line ),
				esc_attr( null === $p['column'] ? '' : (string) $p['column'] ),
				esc_html( $p['kind'] ),
				$label, // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- built from escaped parts above.
				esc_html( $p['message'] )
			);
		}
		echo '</ul></div>';
	}

	/** A textarea's first line break is eaten by the HTML parser; one more keeps a leading blank line. */
	private static function textarea_text( string $text ): string {
		return "\n" . esc_textarea( $text );
	}

	private function render_editor( array $target, ?array $info, ?array $draft ): void {
		$value  = $target[0] . ':' . $target[1];
		$email  = $this->outcome['email'] ?? '';
		$locale = $this->outcome['locale'] ?? '';
		$mono   = 'font-family:Consolas,Monaco,monospace;tab-size:2;';
		?>
		<form method="post" action="<?php echo esc_url( $this->url( array( 'target' => $value ) ) ); ?>" id="retain-templates-form" class="retain-template-editor">
			<input type="hidden" name="action" value="retain_template_send" />
			<input type="hidden" name="target" value="<?php echo esc_attr( $value ); ?>" />
			<?php wp_nonce_field( self::NONCE ); ?>
			<?php
			if ( $info ) {
				$this->render_status( $info );
			}
			$this->render_problems( $draft );
			?>
			<table class="form-table" role="presentation">
				<?php if ( 'fields' === ( $draft['mode'] ?? '' ) ) : ?>
				<tr>
					<th scope="row"><label for="retain_template_subject"><?php esc_html_e( 'Subject', 'retain' ); ?></label></th>
					<td><input type="text" class="large-text" dir="auto" id="retain_template_subject" name="subject" value="<?php echo esc_attr( $draft['subject'] ); ?>" /></td>
				</tr>
				<tr>
					<th scope="row"><label for="retain_template_preheader"><?php esc_html_e( 'Preheader', 'retain' ); ?></label></th>
					<td><input type="text" class="large-text" dir="auto" id="retain_template_preheader" name="preheader" value="<?php echo esc_attr( $draft['preheader'] ); ?>" />
					<p class="description"><?php esc_html_e( 'The line many mail apps show after the subject. Both may use Liquid, e.g. {{ customer.first_name }}.', 'retain' ); ?></p></td>
				</tr>
					<?php if ( '' !== $draft['front_matter'] ) : ?>
				<tr>
					<th scope="row"><label for="retain_template_front_matter"><?php esc_html_e( 'Other front matter', 'retain' ); ?></label></th>
					<td><textarea readonly class="large-text code" dir="ltr" rows="<?php echo esc_attr( (string) min( 6, substr_count( $draft['front_matter'], "\n" ) + 1 ) ); ?>" id="retain_template_front_matter" name="front_matter" style="<?php echo esc_attr( $mono ); ?>"><?php echo self::textarea_text( $draft['front_matter'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- esc_textarea. ?></textarea>
					<p class="description"><?php esc_html_e( 'Kept as it is (for example the data the step needs).', 'retain' ); ?></p></td>
				</tr>
					<?php endif; ?>
				<tr>
					<th scope="row"><label for="retain_template_body"><?php esc_html_e( 'Body (Liquid)', 'retain' ); ?></label></th>
					<td><textarea class="large-text code retain-template-body" dir="ltr" rows="24" spellcheck="false" autocapitalize="off" id="retain_template_body" name="body" style="<?php echo esc_attr( $mono ); ?>"><?php echo self::textarea_text( $draft['body'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- esc_textarea. ?></textarea>
					<p class="description"><?php esc_html_e( 'HTML with Liquid; every output is escaped unless marked | raw. The sidecar checks syntax, variables and filters when you save or preview.', 'retain' ); ?></p></td>
				</tr>
				<?php elseif ( 'raw' === ( $draft['mode'] ?? '' ) ) : ?>
				<tr>
					<th scope="row"><label for="retain_template_source"><?php esc_html_e( 'Template file', 'retain' ); ?></label></th>
					<td><textarea class="large-text code retain-template-body" dir="ltr" rows="28" spellcheck="false" autocapitalize="off" id="retain_template_source" name="source" style="<?php echo esc_attr( $mono ); ?>"><?php echo self::textarea_text( $draft['source'] ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- esc_textarea. ?></textarea>
					<p class="description"><?php esc_html_e( 'The front matter of this file is not in the simple form the editor splits into fields, so the whole file is shown: front matter between --- lines, then the Liquid body.', 'retain' ); ?></p></td>
				</tr>
				<?php endif; ?>
				<tr>
					<th scope="row"><label for="retain_template_email"><?php esc_html_e( 'Preview for customer (optional)', 'retain' ); ?></label></th>
					<td><input type="email" class="regular-text" dir="ltr" id="retain_template_email" name="email" value="<?php echo esc_attr( $email ); ?>" />
					<p class="description"><?php esc_html_e( 'A contact\'s e-mail address, to fill the template with their name, order and recommendations. Empty uses sample data.', 'retain' ); ?></p></td>
				</tr>
				<tr>
					<th scope="row"><label for="retain_template_locale"><?php esc_html_e( 'Language (optional)', 'retain' ); ?></label></th>
					<td><input type="text" class="small-text" dir="ltr" id="retain_template_locale" name="locale" value="<?php echo esc_attr( $locale ); ?>" placeholder="he_IL" /></td>
				</tr>
			</table>
			<p class="submit">
				<button type="submit" class="button" name="retain_template_action" value="preview" id="retain-preview"><?php esc_html_e( 'Preview', 'retain' ); ?></button>
				<?php if ( $draft ) : ?>
				<button type="submit" class="button button-primary" name="retain_template_action" value="save" id="retain-template-save"><?php esc_html_e( 'Save template', 'retain' ); ?></button>
				<?php endif; ?>
				<?php if ( ! empty( $info['overridden'] ) ) : ?>
				<button type="submit" class="button button-link-delete" name="retain_template_action" value="restore" id="retain-template-restore" onclick="<?php echo esc_attr( 'return window.confirm(' . wp_json_encode( __( 'Throw away the edited template and use the default again?', 'retain' ) ) . ');' ); ?>"><?php esc_html_e( 'Restore default', 'retain' ); ?></button>
				<?php endif; ?>
			</p>
			<table class="form-table" role="presentation">
				<tr>
					<th scope="row"><label for="retain_test_to"><?php esc_html_e( 'Send a test to', 'retain' ); ?></label></th>
					<td><input type="email" class="regular-text" dir="ltr" id="retain_test_to" name="to" value="<?php echo esc_attr( (string) wp_get_current_user()->user_email ); ?>" />
					<?php submit_button( __( 'Send test', 'retain' ), 'secondary', 'retain_send', false, array( 'id' => 'retain-send-test', 'formaction' => admin_url( 'admin-post.php' ) ) ); ?>
					<p class="description"><?php esc_html_e( 'Sends the saved template, marked [Test] in the subject; it is not counted or scheduled.', 'retain' ); ?></p></td>
				</tr>
			</table>
		</form>
		<script>
		( function () {
			// A problem's position link puts the cursor on that line and column of the editor.
			document.querySelectorAll( '.retain-template-problems a[data-line]' ).forEach( function ( link ) {
				link.addEventListener( 'click', function ( event ) {
					var field = document.getElementById( link.dataset.field );
					if ( ! field ) { return; }
					event.preventDefault();
					var lines = field.value.split( '\n' ), at = 0, i;
					for ( i = 0; i < Number( link.dataset.line ) - 1 && i < lines.length; i++ ) { at += lines[ i ].length + 1; }
					at = Math.min( field.value.length, at + Math.max( 0, Number( link.dataset.column ) - 1 ) );
					field.focus();
					field.setSelectionRange( at, at );
				} );
			} );
		}() );
		</script>
		<?php
	}

	private function render_preview(): void {
		$p = $this->outcome['preview'] ?? null;
		if ( ! is_array( $p ) ) {
			return;
		}
		?>
		<div class="retain-preview">
			<h2><?php esc_html_e( 'Preview', 'retain' ); ?></h2>
			<p class="description"><?php esc_html_e( 'Of the text in the editor, saved or not.', 'retain' ); ?></p>
			<table class="form-table" role="presentation">
				<tr><th scope="row"><?php esc_html_e( 'Subject', 'retain' ); ?></th><td class="retain-preview-subject" dir="auto"><?php echo esc_html( (string) ( $p['subject'] ?? '' ) ); ?></td></tr>
				<tr><th scope="row"><?php esc_html_e( 'Preheader', 'retain' ); ?></th><td class="retain-preview-preheader" dir="auto"><?php echo esc_html( (string) ( $p['preheader'] ?? '' ) ); ?></td></tr>
			</table>
			<iframe class="retain-preview-frame" sandbox="" title="<?php esc_attr_e( 'E-mail preview', 'retain' ); ?>" style="width:100%;min-height:640px;border:1px solid #c3c4c7;background:#fff" srcdoc="<?php echo esc_attr( (string) ( $p['html'] ?? '' ) ); ?>"></iframe>
			<details><summary><?php esc_html_e( 'Plain-text version', 'retain' ); ?></summary><pre class="retain-preview-text" dir="auto" style="white-space:pre-wrap"><?php echo esc_html( (string) ( $p['text'] ?? '' ) ); ?></pre></details>
		</div>
		<?php
	}
}
