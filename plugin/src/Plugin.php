<?php
/**
 * The composition root: builds each service once and registers every component's hooks.
 *
 * @package Retain
 */

namespace Retain;

defined( 'ABSPATH' ) || exit;

final class Plugin {
	public const VERSION = '0.1.0';

	/** @var self|null */
	private static $instance;

	public string $file;
	public Settings $settings;
	public Signer $signer;
	public Outbox $outbox;
	public SidecarClient $client;
	public Delivery $delivery;
	public Identity $identity;
	public Consent $consent;
	public Coupons $coupons;
	public CartRestore $cart_restore;

	private function __construct( string $file ) {
		$this->file         = $file;
		$this->settings     = new Settings();
		$this->signer       = new Signer( $this->settings );
		$this->outbox       = new Outbox();
		$this->client       = new SidecarClient( $this->settings, $this->signer );
		$this->delivery     = new Delivery( $this->outbox, $this->client );
		$this->identity     = new Identity( $this->signer );
		$this->consent      = new Consent( $this->settings, $this->outbox );
		$this->coupons      = new Coupons();
		$this->cart_restore = new CartRestore( $this->signer, $this->client, $this->identity );
	}

	public static function init( string $file ): void {
		if ( null !== self::$instance ) {
			return;
		}
		self::$instance = new self( $file );
		self::$instance->register();
	}

	public static function instance(): self {
		return self::$instance;
	}

	private function register(): void {
		load_plugin_textdomain( 'retain', false, dirname( plugin_basename( $this->file ) ) . '/languages' );
		Installer::maybe_upgrade();

		if ( ! function_exists( 'WC' ) ) {
			add_action( 'admin_notices', array( $this, 'notice_woocommerce_missing' ) );
			return;
		}

		$this->delivery->register();
		$this->identity->register();
		$this->consent->register();
		$this->coupons->register();
		$this->cart_restore->register();
		( new Events\CustomerEvents( $this->outbox, $this->consent ) )->register();
		( new Events\CartEvents( $this->outbox, $this->identity ) )->register();
		( new Events\OrderEvents( $this->outbox ) )->register();
		( new Events\CheckoutEvents( $this->outbox, $this->settings, $this->consent, $this->identity ) )->register();
		( new Events\BrowsingEvents( $this->outbox, $this->identity ) )->register();
		( new Signup( $this->outbox, $this->consent, $this->identity ) )->register();
		( new Rest\Endpoints( $this->signer, $this->coupons, $this->outbox ) )->register();
		( new Privacy( $this->client, $this->outbox ) )->register();
		if ( is_admin() ) {
			( new Admin\SettingsPage( $this->settings, $this->client, $this->outbox, $this->delivery ) )->register();
		}
	}

	public function notice_woocommerce_missing(): void {
		echo '<div class="notice notice-warning"><p>' . esc_html__( 'Retain needs WooCommerce to be active.', 'retain' ) . '</p></div>';
	}
}
