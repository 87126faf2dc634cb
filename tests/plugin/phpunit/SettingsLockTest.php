<?php

namespace Retain\Tests;

use Retain\Admin\SettingsPage;

/**
 * RETAIN_SIDECAR_URL / RETAIN_SECRET in wp-config.php win over the stored option and lock the
 * Connection fields. Constants cannot be undefined, so each test runs in its own PHP process.
 */
final class SettingsLockTest extends TestCase {
	private const LOCKED_URL    = 'http://locked-sidecar.test:7500';
	private const LOCKED_SECRET = 'locked-secret-abcdefghijklmnopqrstuvwxyz';

	private function page(): SettingsPage {
		$p = $this->plugin();
		return new SettingsPage( $p->settings, $p->client, $p->outbox, $p->delivery );
	}


	private function save_connection( array $fields ): void {
		wp_set_current_user( 1 );
		$_POST    = wp_slash( array_merge( array( 'action' => 'retain_save_settings', 'tab' => 'connection', '_wpnonce' => wp_create_nonce( 'retain_save_settings' ) ), $fields ) );
		$_REQUEST = $_POST;
		add_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		try {
			$this->page()->save();
			$this->fail( 'save() did not redirect' );
		} catch ( Halt $h ) {
			$this->assertStringContainsString( 'retain_notice=saved', $h->where );
		} finally {
			remove_filter( 'wp_redirect', array( $this, 'halt_redirect' ), 1 );
		}
	}

	private function render_connection(): string {
		require_once ABSPATH . 'wp-admin/includes/template.php';
		wp_set_current_user( 1 );
		$_GET = array( 'page' => 'retain', 'tab' => 'connection' );
		ob_start();
		$this->page()->render();
		return (string) ob_get_clean();
	}

	public function test_without_constants_the_fields_are_open_and_saved(): void {
		$this->assertFalse( defined( 'RETAIN_SIDECAR_URL' ) || defined( 'RETAIN_SECRET' ), 'this process has no constants' );
		$html = $this->render_connection();
		$this->assertDoesNotMatchRegularExpression( '/id="retain_sidecar_url"[^>]*disabled/', $html );
		$this->save_connection( array( 'sidecar_url' => 'https://other.example', 'secret' => 'another-secret' ) );
		$this->assertSame( 'https://other.example', get_option( 'retain_settings' )['sidecar_url'] );
		$this->assertSame( 'another-secret', get_option( 'retain_settings' )['secret'] );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_constants_lock_the_fields_and_a_forged_save_changes_nothing(): void {
		define( 'RETAIN_SIDECAR_URL', self::LOCKED_URL );
		define( 'RETAIN_SECRET', self::LOCKED_SECRET );

		$html = $this->render_connection();
		$this->assertMatchesRegularExpression( '/<input type="url"[^>]*id="retain_sidecar_url"[^>]*value="' . preg_quote( self::LOCKED_URL, '/' ) . '"[^>]*disabled=\'disabled\'/', $html );
		$this->assertMatchesRegularExpression( '/<input type="password"[^>]*id="retain_secret"[^>]*disabled=\'disabled\'/', $html );
		$this->assertStringContainsString( 'Set in wp-config.php (RETAIN_SIDECAR_URL)', $html );
		$this->assertStringContainsString( 'Set in wp-config.php (RETAIN_SECRET)', $html );
		$this->assertStringNotContainsString( self::LOCKED_SECRET, $html, 'the secret is never printed' );

		// A disabled field is not posted by a browser; a forged POST carries it anyway, with a valid nonce.
		$this->save_connection( array( 'sidecar_url' => 'https://evil.example', 'secret' => 'evil-secret' ) );
		$stored = get_option( 'retain_settings' );
		$this->assertSame( self::URL, $stored['sidecar_url'], 'the stored URL is unchanged' );
		$this->assertSame( self::SECRET, $stored['secret'], 'the stored secret is unchanged' );

		// And the constants are what the plugin uses: the signed call goes there, signed with them.
		$this->respond_with( fn() => self::response( 200, array( 'flows' => array() ) ) );
		$this->plugin()->client->flows();
		$this->assertSame( self::LOCKED_URL . '/v1/admin/flows', $this->requests[0]['url'] );
		$this->assertSignedRequest( $this->requests[0], self::LOCKED_SECRET );
	}

	/**
	 * @runInSeparateProcess
	 * @preserveGlobalState disabled
	 */
	public function test_a_locked_url_still_lets_the_secret_be_saved(): void {
		define( 'RETAIN_SIDECAR_URL', self::LOCKED_URL );
		$html = $this->render_connection();
		$this->assertMatchesRegularExpression( '/id="retain_sidecar_url"[^>]*disabled=\'disabled\'/', $html );
		$this->assertDoesNotMatchRegularExpression( '/id="retain_secret"[^>]*disabled/', $html );
		$this->save_connection( array( 'sidecar_url' => 'https://evil.example', 'secret' => 'a-new-secret' ) );
		$this->assertSame( self::URL, get_option( 'retain_settings' )['sidecar_url'] );
		$this->assertSame( 'a-new-secret', get_option( 'retain_settings' )['secret'] );
	}
}
