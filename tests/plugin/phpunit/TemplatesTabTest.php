<?php

namespace Retain\Tests;

use Retain\Admin\TemplateSource;
use Retain\Admin\TemplatesTab;

/**
 * WooCommerce → Retain → Templates: the editor (split / joined file text), Save, Preview of the
 * unsaved text, Restore default, the sidecar's problems with line and column, Send test. The
 * sidecar is answered at the HTTP edge.
 */
final class TemplatesTabTest extends TestCase {
	private TemplatesTab $tab;
	/** @var array<string,array> "METHOD path" → response */
	private array $answers = array();

	private const CART_SOURCE = "---\nsubject: \"{{ 'abandoned_cart.1.subject' | t: name: customer.first_name }}\"\npreheader: \"{{ 'abandoned_cart.1.preheader' | t }}\"\nrequires: [cart]\n---\n{% layout 'layouts/base' %}\n{% block content %}\n<h1>{{ 'abandoned_cart.1.heading' | t }}</h1>\n{% endblock %}\n";

	protected function setUp(): void {
		parent::setUp();
		require_once ABSPATH . 'wp-admin/includes/template.php'; // submit_button(), as on every admin page.
		$this->tab = new TemplatesTab( $this->plugin()->client, static fn( string $tab, array $args = array() ): string => add_query_arg( array_merge( array( 'page' => 'retain', 'tab' => $tab ), $args ), admin_url( 'admin.php' ) ) );
		add_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		add_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		update_option( 'date_format', 'Y-m-d' );
		update_option( 'time_format', 'H:i' );
		update_option( 'timezone_string', 'Asia/Jerusalem' );
		$this->answers = array(
			'GET /v1/admin/flows'                      => self::response( 200, self::flows_body() ),
			'GET /v1/admin/templates'                  => self::response(
				200,
				array(
					'templates' => array(
						array( 'flow' => 'abandoned_cart', 'step' => 1, 'template' => 'flows/abandoned_cart/1', 'overridden' => true, 'updated_at' => '2024-05-01T09:30:00.000Z' ),
						array( 'flow' => 'welcome', 'step' => 1, 'template' => 'flows/welcome/1', 'overridden' => false, 'updated_at' => null ),
					),
				)
			),
			'GET /v1/admin/templates/abandoned_cart/1' => self::response( 200, self::template_body( self::CART_SOURCE, true ) ),
			'GET /v1/admin/templates/welcome/1'        => self::response( 200, self::template_body( "---\nsubject: \"Hi\"\npreheader: \"\"\n---\n<p>Hi</p>\n", false ) ),
		);
		$this->respond_with(
			function ( $url, $args ) {
				$key = $args['method'] . ' ' . (string) wp_parse_url( $url, PHP_URL_PATH );
				return $this->answers[ $key ] ?? self::response( 404, array( 'error' => array( 'code' => 'not_found', 'message' => $key ) ) );
			}
		);
	}

	protected function tearDown(): void {
		remove_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		remove_filter( 'wp_die_handler', array( $this, 'die_handler' ) );
		$_SERVER['REQUEST_METHOD'] = 'GET';
		$_REQUEST                  = array();
		parent::tearDown();
	}

	private static function template_body( string $source, bool $overridden ): array {
		return array(
			'flow'           => 'abandoned_cart',
			'step'           => 1,
			'template'       => 'flows/abandoned_cart/1',
			'source'         => $source,
			'default_source' => $source,
			'overridden'     => $overridden,
			'updated_at'     => $overridden ? '2024-05-01T09:30:00.000Z' : null,
		);
	}

	private static function flows_body(): array {
		return array(
			'flows' => array(
				array( 'id' => 'welcome', 'name' => 'Welcome <b>series</b>', 'steps' => array( array( 'step' => 1 ), array( 'step' => 2 ) ) ),
				array( 'id' => 'abandoned_cart', 'name' => 'Abandoned cart', 'steps' => array( array( 'step' => 1 ) ) ),
			),
		);
	}

	private static function invalid( array $problems ): array {
		return self::response( 422, array( 'error' => array( 'code' => 'template_invalid', 'message' => 'the template has problems', 'details' => array( 'problems' => $problems ) ) ) );
	}

	/** Posts the editor form, as the browser would (slashed), and runs the page's load hook. */
	private function post( array $fields, ?string $nonce = TemplatesTab::NONCE ): ?Halt {
		$_SERVER['REQUEST_METHOD'] = 'POST';
		$_POST                     = wp_slash( $fields + ( null === $nonce ? array() : array( '_wpnonce' => wp_create_nonce( $nonce ) ) ) );
		$_REQUEST                  = $_POST;
		try {
			$this->tab->handle();
		} catch ( Halt $h ) {
			return $h;
		}
		return null;
	}

	private function render( array $get = array() ): string {
		$_GET = $get;
		ob_start();
		$this->tab->render();
		return (string) ob_get_clean();
	}

	/** @return array<int,array{url:string,args:array}> the requests other than the page's reads */
	private function writes(): array {
		return array_values( array_filter( $this->requests, static fn( $r ) => 'GET' !== $r['args']['method'] ) );
	}

	private static function editor_fields( string $subject, string $body ): array {
		return array(
			'target'       => 'abandoned_cart:1',
			'subject'      => $subject,
			'preheader'    => "{{ 'abandoned_cart.1.preheader' | t }}",
			'front_matter' => 'requires: [cart]',
			'body'         => $body,
		);
	}

	public function test_every_shipped_template_splits_and_joins_back_byte_for_byte(): void {
		$files = glob( dirname( __DIR__, 3 ) . '/templates/flows/*/*.liquid' );
		$this->assertGreaterThan( 10, count( $files ) );
		foreach ( $files as $file ) {
			$source = (string) file_get_contents( $file );
			$parts  = TemplateSource::split( $source );
			$this->assertNotNull( $parts, $file );
			$this->assertSame( $source, TemplateSource::join( $parts['subject'], $parts['preheader'], $parts['front_matter'], $parts['body'] ), $file );
		}
		$parts = TemplateSource::split( self::CART_SOURCE );
		$this->assertSame( "{{ 'abandoned_cart.1.subject' | t: name: customer.first_name }}", $parts['subject'] );
		$this->assertSame( 'requires: [cart]', $parts['front_matter'] );
		$this->assertSame( 5, TemplateSource::body_offset( self::CART_SOURCE ), 'the body starts on line 6' );
	}

	public function test_quotes_backslashes_and_any_language_survive_the_front_matter(): void {
		$joined = TemplateSource::join( 'שלום "{{ customer.first_name }}" \\o/', "it's\tfine", "requires: [cart, order]\n", "<p>x</p>\n" );
		$this->assertSame( "---\nsubject: \"שלום \\\"{{ customer.first_name }}\\\" \\\\o/\"\npreheader: \"it's\\tfine\"\nrequires: [cart, order]\n---\n<p>x</p>\n", $joined );
		$back = TemplateSource::split( $joined );
		$this->assertSame( 'שלום "{{ customer.first_name }}" \\o/', $back['subject'] );
		$this->assertSame( "it's\tfine", $back['preheader'] );
		$this->assertSame( "it's", TemplateSource::split( "---\nsubject: 'it''s'\n---\n" )['subject'] );
		$this->assertSame( 'é', TemplateSource::split( "---\nsubject: \"\\u00e9\"\n---\n" )['subject'] );
		// What the small parser cannot read with certainty is shown raw, never rewritten.
		$this->assertNull( TemplateSource::split( "---\nsubject: |\n  folded\n---\nbody" ) );
		$this->assertNull( TemplateSource::split( "---\nsubject: \"open\n  quote\"\n---\nbody" ) );
		$this->assertNull( TemplateSource::split( "---\nsubject: a: b\n---\nbody" ) );
		$this->assertNull( TemplateSource::split( "---\nsubject: \"a\"\nsubject: \"b\"\n---\nbody" ) );
		$this->assertNull( TemplateSource::split( "---\npreheader: \"no subject\"\n---\nbody" ) );
		$this->assertNull( TemplateSource::split( 'no front matter' ) );
	}

	public function test_choosing_a_step_shows_its_editor_from_the_signed_sidecar_calls(): void {
		wp_set_current_user( 1 );
		$html = $this->render( array( 'target' => 'abandoned_cart:1' ) );
		$this->assertSame(
			array( 'GET /v1/admin/flows', 'GET /v1/admin/templates', 'GET /v1/admin/templates/abandoned_cart/1' ),
			array_map( static fn( $r ) => $r['args']['method'] . ' ' . wp_parse_url( $r['url'], PHP_URL_PATH ), $this->requests )
		);
		foreach ( $this->requests as $request ) {
			$this->assertSignedRequest( $request );
		}
		$this->assertStringContainsString( 'id="retain_template_subject" name="subject" value="{{ &#039;abandoned_cart.1.subject&#039; | t: name: customer.first_name }}"', $html );
		$this->assertMatchesRegularExpression( '/<input type="text" class="large-text" dir="auto" id="retain_template_subject"/', $html );
		$this->assertMatchesRegularExpression( '/<textarea readonly[^>]*dir="ltr"[^>]*name="front_matter"[^>]*>\nrequires: \[cart\]<\/textarea>/', $html );
		$this->assertMatchesRegularExpression( '/<textarea class="large-text code retain-template-body" dir="ltr"[^>]*name="body" style="font-family:Consolas,Monaco,monospace;[^"]*">\n\{% layout &#039;layouts\/base&#039; %\}\n\{% block content %\}\n&lt;h1&gt;/', $html );
		$this->assertStringContainsString( 'data-state="edited"', $html );
		$this->assertStringContainsString( 'last saved 2024-05-01 12:30.', $html, 'in the site\'s time zone' );
		$this->assertStringContainsString( 'Abandoned cart — step 1 (edited)</option>', $html );
		$this->assertStringContainsString( 'Welcome &lt;b&gt;series&lt;/b&gt; — step 1</option>', $html );
		$this->assertStringContainsString( 'id="retain-template-restore"', $html );
		$this->assertStringContainsString( 'return window.confirm(', $html );

		$this->requests = array();
		$html           = $this->render( array( 'target' => 'welcome:1' ) );
		$this->assertStringContainsString( 'data-state="default"', $html );
		$this->assertStringNotContainsString( 'id="retain-template-restore"', $html, 'nothing to restore' );
		$this->assertStringNotContainsString( 'name="front_matter"', $html );
	}

	public function test_saving_puts_the_whole_file_text_with_its_markup_intact(): void {
		wp_set_current_user( 1 );
		$this->answers['PUT /v1/admin/templates/abandoned_cart/1'] = self::response( 200, self::template_body( self::CART_SOURCE, true ) );
		$body = "{% layout 'layouts/base' %}\r\n{% block content %}\r\n<p class=\"lead\" style=\"color:#333\">{{ customer.first_name | default: \"friend\" }} &amp; <a href=\"{{ shop.url }}\">%20shop</a></p>\r\n{% endblock %}\r\n";
		$halt = $this->post( self::editor_fields( 'Your cart \\ "waits", {{ customer.first_name }} — חזרה', $body ) + array( 'retain_template_action' => 'save' ) );
		$this->assertSame( 'redirect', $halt->kind ?? null );
		$this->assertStringContainsString( 'retain_notice=template_saved', $halt->where );
		$this->assertStringContainsString( 'target=abandoned_cart:1', $halt->where );
		$writes = $this->writes();
		$this->assertCount( 1, $writes );
		$this->assertSame( self::URL . '/v1/admin/templates/abandoned_cart/1', $writes[0]['url'] );
		$this->assertSame( 'PUT', $writes[0]['args']['method'] );
		$this->assertSignedRequest( $writes[0] );
		$this->assertSame(
			array(
				'source' => "---\nsubject: \"Your cart \\\\ \\\"waits\\\", {{ customer.first_name }} — חזרה\"\npreheader: \"{{ 'abandoned_cart.1.preheader' | t }}\"\nrequires: [cart]\n---\n"
					. "{% layout 'layouts/base' %}\n{% block content %}\n<p class=\"lead\" style=\"color:#333\">{{ customer.first_name | default: \"friend\" }} &amp; <a href=\"{{ shop.url }}\">%20shop</a></p>\n{% endblock %}\n",
			),
			json_decode( $writes[0]['args']['body'], true )
		);
		$this->assertStringContainsString( '<p class=\"lead\"', $writes[0]['args']['body'], 'markup sent as it is' );
		$this->assertStringNotContainsString( '<\/p>', $writes[0]['args']['body'], 'slashes unescaped' );

		// After the redirect: the notice, once.
		$this->requests = array();
		$_SERVER['REQUEST_METHOD'] = 'GET';
		$tab            = new TemplatesTab( $this->plugin()->client, static fn( string $t, array $a = array() ): string => admin_url( 'admin.php' ) );
		$this->tab      = $tab;
		$this->assertStringContainsString( 'Template saved.', $this->render( array( 'target' => 'abandoned_cart:1', 'retain_notice' => 'template_saved' ) ) );
	}

	public function test_a_refused_save_lists_each_problem_with_line_and_column_and_keeps_the_edit(): void {
		wp_set_current_user( 1 );
		$this->answers['PUT /v1/admin/templates/abandoned_cart/1'] = self::invalid(
			array(
				array( 'kind' => 'syntax', 'message' => 'tag "if" not closed <b>', 'line' => 8, 'column' => 3 ),
				array( 'kind' => 'unknown_filter', 'message' => 'undefined filter: shout', 'line' => 2, 'column' => 1 ),
				array( 'kind' => 'render', 'message' => 'something odd', 'line' => null, 'column' => null ),
			)
		);
		$body = "{% layout 'layouts/base' %}\n{% block content %}\n{% if cart %}<p>unclosed</p>\n{% endblock %}\n";
		$this->assertNull( $this->post( self::editor_fields( "{{ 'x' | shout }} my new subject", $body ) + array( 'retain_template_action' => 'save' ) ), 'no redirect' );
		$html = $this->render();
		$this->assertStringContainsString( 'template_invalid', $html );
		$this->assertMatchesRegularExpression( '/<li class="retain-template-problem" data-kind="syntax" data-line="8" data-column="3"><code dir="ltr">syntax<\/code> <a href="#retain_template_body" data-field="retain_template_body" data-line="3" data-column="3">line 8, column 3 \(body line 3\)<\/a>: <span dir="ltr">tag &quot;if&quot; not closed<\/span><\/li>/', $html );
		$this->assertStringContainsString( 'line 2, column 1 (subject): <span dir="ltr">undefined filter: shout</span>', $html );
		$this->assertStringContainsString( 'data-kind="render" data-line="" data-column=""><code dir="ltr">render</code> position unknown: ', $html );
		$this->assertStringNotContainsString( '<b>', $html );
		// The admin's text is what the editor holds, not the sidecar's saved version.
		$this->assertStringContainsString( 'value="{{ &#039;x&#039; | shout }} my new subject"', $html );
		$this->assertStringContainsString( "name=\"body\" style=\"font-family:Consolas,Monaco,monospace;tab-size:2;\">\n{% layout &#039;layouts/base&#039; %}\n{% block content %}\n{% if cart %}&lt;p&gt;unclosed&lt;/p&gt;\n{% endblock %}\n</textarea>", $html );
		$this->assertStringContainsString( '<option value="abandoned_cart:1"  selected=\'selected\'>', $html );
	}

	public function test_preview_renders_the_unsaved_text_in_a_sandboxed_iframe(): void {
		wp_set_current_user( 1 );
		$this->answers['POST /v1/admin/templates/preview'] = self::response( 200, array( 'subject' => 'Back for it, <Dana>?', 'preheader' => 'Hi there', 'html' => '<html><body><script>x()</script><p class="a">"Hello" & bye</p></body></html>', 'text' => 'Hello' ) );
		$fields = self::editor_fields( 'Back for it, {{ customer.first_name }}?', "<p>new</p>\n" ) + array( 'retain_template_action' => 'preview', 'email' => 'not an email', 'locale' => 'he_IL' );
		$this->assertNull( $this->post( $fields ) );
		$writes = $this->writes();
		$this->assertCount( 1, $writes );
		$this->assertSame( self::URL . '/v1/admin/templates/preview', $writes[0]['url'] );
		$this->assertSignedRequest( $writes[0] );
		$this->assertSame(
			array(
				'flow'   => 'abandoned_cart',
				'step'   => 1,
				'locale' => 'he_IL',
				'source' => "---\nsubject: \"Back for it, {{ customer.first_name }}?\"\npreheader: \"{{ 'abandoned_cart.1.preheader' | t }}\"\nrequires: [cart]\n---\n<p>new</p>\n",
			),
			json_decode( $writes[0]['args']['body'], true )
		);
		$html = $this->render();
		$this->assertMatchesRegularExpression( '/<iframe class="retain-preview-frame" sandbox=""[^>]*srcdoc="&lt;html&gt;&lt;body&gt;&lt;script&gt;x\(\)&lt;\/script&gt;&lt;p class=&quot;a&quot;&gt;&quot;Hello&quot; &amp; bye/', $html );
		$this->assertStringNotContainsString( '<script>x()', $html );
		$this->assertStringContainsString( 'Back for it, &lt;Dana&gt;?', $html );
		$this->assertStringContainsString( 'value="Back for it, {{ customer.first_name }}?"', $html, 'the unsaved edit stays in the editor' );
		$this->assertLessThan( strpos( $html, 'retain-preview-frame' ), strpos( $html, 'retain-preview-subject' ), 'subject above the HTML' );
	}

	public function test_a_broken_preview_shows_the_problems_too(): void {
		wp_set_current_user( 1 );
		$this->answers['POST /v1/admin/templates/preview'] = self::invalid( array( array( 'kind' => 'unknown_variable', 'message' => 'unknown variable "custmer"', 'line' => 7, 'column' => 12 ) ) );
		$this->post( self::editor_fields( 'S', "a\n{{ custmer.name }}\n" ) + array( 'retain_template_action' => 'preview' ) );
		$html = $this->render();
		$this->assertStringContainsString( 'The sidecar could not render this template:', $html );
		$this->assertStringContainsString( 'line 7, column 12 (body line 2)', $html );
		$this->assertStringNotContainsString( 'retain-preview-frame', $html );
		$this->assertStringContainsString( "\n{{ custmer.name }}\n</textarea>", $html );
	}

	public function test_restore_default_deletes_the_edit(): void {
		wp_set_current_user( 1 );
		$this->answers['DELETE /v1/admin/templates/abandoned_cart/1'] = self::response( 200, self::template_body( self::CART_SOURCE, false ) );
		$halt = $this->post( array( 'target' => 'abandoned_cart:1', 'retain_template_action' => 'restore', 'body' => 'ignored' ) );
		$this->assertSame( 'redirect', $halt->kind ?? null );
		$this->assertStringContainsString( 'retain_notice=template_restored', $halt->where );
		$writes = $this->writes();
		$this->assertCount( 1, $writes );
		$this->assertSame( 'DELETE', $writes[0]['args']['method'] );
		$this->assertSame( self::URL . '/v1/admin/templates/abandoned_cart/1', $writes[0]['url'] );
		$this->assertSignedRequest( $writes[0] );

		$this->answers['DELETE /v1/admin/templates/abandoned_cart/1'] = self::response( 404, array( 'error' => array( 'code' => 'template_not_found', 'message' => 'no such step' ) ) );
		$this->assertNull( $this->post( array( 'target' => 'abandoned_cart:1', 'retain_template_action' => 'restore' ) ) );
		$html = $this->render();
		$this->assertStringContainsString( 'The default template was not restored:', $html );
		$this->assertStringContainsString( 'template_not_found', $html );
	}

	public function test_without_the_nonce_or_the_capability_nothing_reaches_the_sidecar(): void {
		wp_set_current_user( 1 );
		$halt = $this->post( self::editor_fields( 'S', 'B' ) + array( 'retain_template_action' => 'save' ), null );
		$this->assertSame( 'die', $halt->kind ?? null );
		$halt = $this->post( self::editor_fields( 'S', 'B' ) + array( 'retain_template_action' => 'save' ), 'retain_save_flow' );
		$this->assertSame( 'die', $halt->kind ?? null, 'another form\'s nonce' );

		$shopper = wp_insert_user( array( 'user_login' => 'shopper', 'user_pass' => 'x', 'user_email' => 'shopper@example.org', 'role' => 'subscriber' ) );
		wp_set_current_user( $shopper );
		foreach ( array( 'save', 'preview', 'restore' ) as $action ) {
			$halt = $this->post( self::editor_fields( 'S', 'B' ) + array( 'retain_template_action' => $action ) );
			$this->assertSame( 'die', $halt->kind ?? null, $action );
			$this->assertSame( 403, $halt->status );
		}
		$this->assertCount( 0, $this->requests );
	}

	public function test_an_oversized_template_is_refused_here_and_kept(): void {
		wp_set_current_user( 1 );
		$big = str_repeat( "<p>{{ shop.name }}</p>\n", 12000 );
		$this->assertNull( $this->post( self::editor_fields( 'S', $big ) + array( 'retain_template_action' => 'save' ) ) );
		$this->assertCount( 0, $this->writes() );
		$html = $this->render();
		$this->assertStringContainsString( 'template_too_large', $html );
		$this->assertSame( 12000, substr_count( $html, '&lt;p&gt;{{ shop.name }}&lt;/p&gt;' ) );
	}

	public function test_a_file_the_editor_does_not_split_is_edited_whole(): void {
		wp_set_current_user( 1 );
		$odd = "---\nsubject: >\n  folded subject\npreheader: \"\"\n---\n<p>Hi</p>\n";
		$this->answers['GET /v1/admin/templates/welcome/1'] = self::response( 200, self::template_body( $odd, false ) );
		$html = $this->render( array( 'target' => 'welcome:1' ) );
		$this->assertStringNotContainsString( 'name="subject"', $html );
		$this->assertStringContainsString( "name=\"source\" style=\"font-family:Consolas,Monaco,monospace;tab-size:2;\">\n---\nsubject: &gt;\n  folded subject\n", $html );
		$this->answers['PUT /v1/admin/templates/welcome/1'] = self::response( 200, self::template_body( $odd, true ) );
		$this->post( array( 'target' => 'welcome:1', 'source' => str_replace( "\n", "\r\n", $odd ), 'retain_template_action' => 'save' ) );
		$this->assertSame( array( 'source' => $odd ), json_decode( $this->writes()[0]['args']['body'], true ) );
	}

	public function test_a_sidecar_without_the_template_routes_still_previews_and_sends(): void {
		wp_set_current_user( 1 );
		unset( $this->answers['GET /v1/admin/templates'], $this->answers['GET /v1/admin/templates/welcome/1'] );
		$html = $this->render( array( 'target' => 'welcome:1' ) );
		$this->assertStringContainsString( 'Could not load this template from the sidecar:', $html );
		$this->assertStringContainsString( 'id="retain-preview"', $html );
		$this->assertStringContainsString( 'id="retain-send-test"', $html );
		$this->assertStringNotContainsString( 'id="retain-template-save"', $html );
	}

	public function test_send_test_posts_to_the_sidecar_and_reports(): void {
		wp_set_current_user( 1 );
		$this->answers['POST /v1/admin/templates/test-send'] = self::response( 200, array( 'providerId' => '<id@mg>', 'subject' => '[Test] Welcome' ) );
		$_POST    = wp_slash( array( 'target' => 'welcome:1', 'to' => 'owner@example.org', 'email' => 'not an email', '_wpnonce' => wp_create_nonce( TemplatesTab::NONCE ) ) );
		$_REQUEST = $_POST;
		try {
			$this->tab->test_send();
			$this->fail( 'no redirect' );
		} catch ( Halt $halt ) {
			$this->assertSame( 'redirect', $halt->kind );
			$this->assertStringContainsString( 'target=welcome:1', $halt->where );
		}
		$this->assertSame( self::URL . '/v1/admin/templates/test-send', $this->requests[0]['url'] );
		$this->assertSignedRequest( $this->requests[0] );
		$this->assertSame( array( 'flow' => 'welcome', 'step' => 1, 'to' => 'owner@example.org' ), json_decode( $this->requests[0]['args']['body'], true ) );
		$this->assertStringContainsString( 'Test e-mail sent to owner@example.org: &quot;[Test] Welcome&quot;', $this->render( array( 'target' => 'welcome:1' ) ) );
	}

	public function test_send_test_without_nonce_is_refused(): void {
		wp_set_current_user( 1 );
		$_POST    = wp_slash( array( 'target' => 'welcome:1', 'to' => 'owner@example.org' ) );
		$_REQUEST = $_POST;
		try {
			$this->tab->test_send();
			$this->fail( 'not refused' );
		} catch ( Halt $halt ) {
			$this->assertSame( 'die', $halt->kind );
		}
		$this->assertCount( 0, $this->requests );
	}
}
