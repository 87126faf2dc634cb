<?php
/**
 * Plugin Name: WooCommerce stand-in (tests only)
 * Description: The smallest slice of WooCommerce and Action Scheduler the Retain plugin calls, with the
 * same function names, hook names and argument shapes. Coupons and products are real posts and
 * postmeta, as in WooCommerce's CPT data stores. Everything else lives in memory for one request.
 * Loaded as a must-use plugin by the test WordPress only; it never ships.
 */

defined( 'ABSPATH' ) || exit;

// phpcs:disable Generic.Files.OneObjectStructurePerFile, Squiz.Commenting

/** The WooCommerce singleton: the plugin reads ->version, ->cart, ->session, ->customer. */
final class WooCommerce {
	public $version = '9.4.0';
	/** @var WC_Cart|null */
	public $cart;
	/** @var WC_Session_Handler|null */
	public $session;
	/** @var WC_Customer|null */
	public $customer;
	private static $instance;

	public static function instance() {
		if ( null === self::$instance ) {
			self::$instance = new self();
		}
		return self::$instance;
	}

	/** Tests reset the shopper between cases: a fresh session, cart and customer. */
	public function reset_frontend( $user_id = 0 ) {
		$this->session  = new WC_Session_Handler( $user_id );
		$this->customer = new WC_Customer( $user_id );
		$this->cart     = new WC_Cart();
	}
}

function WC() { // phpcs:ignore WordPress.NamingConventions.ValidFunctionName
	return WooCommerce::instance();
}

// The test machine has no mail server: no e-mail ever leaves a test.
add_filter( 'pre_wp_mail', '__return_false' );

// WooCommerce fires before_woocommerce_init and woocommerce_init from its own init() on `init`.
add_action(
	'init',
	static function () {
		do_action( 'before_woocommerce_init' );
		WC()->reset_frontend( get_current_user_id() );
		do_action( 'woocommerce_init' );
	},
	0
);

// WooCommerce grants manage_woocommerce to administrators (and shop managers) at install.
add_filter(
	'user_has_cap',
	static function ( $allcaps ) {
		if ( ! empty( $allcaps['manage_options'] ) ) {
			$allcaps['manage_woocommerce'] = true;
		}
		return $allcaps;
	}
);

// The WooCommerce top-level menu our settings page hangs under.
add_action(
	'admin_menu',
	static function () {
		add_menu_page( 'WooCommerce', 'WooCommerce', 'manage_woocommerce', 'woocommerce', '__return_null', 'dashicons-cart', 55 );
	},
	9
);

add_action(
	'init',
	static function () {
		register_post_type( 'shop_coupon', array( 'public' => false ) );
		register_post_type( 'shop_order', array( 'public' => false ) );
		register_post_type( 'product', array( 'public' => true ) );
	},
	5
);

/** Records what the plugin declares on before_woocommerce_init. */
// phpcs:ignore
eval( 'namespace Automattic\WooCommerce\Utilities; class FeaturesUtil { public static $declared = array(); public static function declare_compatibility( $feature_id, $plugin_file, $positive = true ) { self::$declared[ $feature_id ] = $positive; return true; } }' );

class WC_DateTime extends DateTime {
	public function getOffsetTimestamp() {
		return $this->getTimestamp() + $this->getOffset();
	}
	public function date( $format ) {
		return gmdate( $format, $this->getOffsetTimestamp() );
	}
	public function __toString() {
		return $this->format( DATE_ATOM );
	}
}

class WC_Geolocation {
	public static function get_ip_address() {
		return isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
	}
}

/** Session: in memory, keyed like WooCommerce (user id, or t_… for guests). */
class WC_Session_Handler {
	private $data = array();
	private $customer_id;
	public function __construct( $user_id = 0 ) {
		$this->customer_id = $user_id ? (string) $user_id : 't_' . substr( md5( wp_generate_password( 32, false ) ), 2 );
	}
	public function get( $key, $default = null ) {
		$key = sanitize_key( $key );
		return isset( $this->data[ $key ] ) ? maybe_unserialize( $this->data[ $key ] ) : $default;
	}
	public function set( $key, $value ) {
		$this->data[ sanitize_key( $key ) ] = maybe_serialize( $value );
	}
	public function __unset( $key ) {
		unset( $this->data[ sanitize_key( $key ) ] );
	}
	public function get_customer_id() {
		return $this->customer_id;
	}
	public function has_session() {
		return true;
	}
}

class WC_Customer {
	private $id;
	private $billing_email = '';
	private $billing_country = '';
	public function __construct( $id = 0 ) {
		$this->id = (int) $id;
		if ( $this->id ) {
			$user                  = get_userdata( $this->id );
			$this->billing_email   = (string) get_user_meta( $this->id, 'billing_email', true ) ?: ( $user ? $user->user_email : '' );
			$this->billing_country = (string) get_user_meta( $this->id, 'billing_country', true );
		}
	}
	public function get_id() {
		return $this->id;
	}
	public function get_billing_email() {
		return $this->billing_email;
	}
	public function set_billing_email( $email ) {
		$this->billing_email = (string) $email;
	}
	public function get_email() {
		return $this->billing_email;
	}
	public function get_billing_country() {
		return $this->billing_country;
	}
	public function save() {
		return $this->id;
	}
}

/** Products are posts with WooCommerce's meta keys (_price, _stock_status). */
class WC_Product {
	protected $post;
	public function __construct( $post ) {
		$this->post = $post;
	}
	public function get_id() {
		return (int) $this->post->ID;
	}
	public function get_parent_id() {
		return 'product_variation' === $this->post->post_type ? (int) $this->post->post_parent : 0;
	}
	public function get_name() {
		return $this->post->post_title;
	}
	public function get_price( $context = 'view' ) {
		return (string) get_post_meta( $this->post->ID, '_price', true );
	}
	public function get_stock_status() {
		return (string) get_post_meta( $this->post->ID, '_stock_status', true ) ?: 'instock';
	}
	public function is_in_stock() {
		return 'outofstock' !== $this->get_stock_status();
	}
	public function is_purchasable() {
		return 'publish' === $this->post->post_status && '' !== $this->get_price();
	}
	public function exists() {
		return true;
	}
}

function wc_get_product( $product_id = false ) {
	$post = $product_id ? get_post( (int) $product_id ) : null;
	if ( ! $post || ! in_array( $post->post_type, array( 'product', 'product_variation' ), true ) ) {
		return false;
	}
	return new WC_Product( $post );
}

/** Test helper: a published simple product. */
function retain_standin_create_product( $name, $price, $stock_status = 'instock' ) {
	$id = wp_insert_post(
		array(
			'post_type'   => 'product',
			'post_status' => 'publish',
			'post_title'  => $name,
		)
	);
	update_post_meta( $id, '_price', (string) $price );
	update_post_meta( $id, '_regular_price', (string) $price );
	update_post_meta( $id, '_stock_status', $stock_status );
	return $id;
}

/** The cart: WooCommerce's item shape and the same hooks with the same arguments. */
class WC_Cart {
	public $cart_contents         = array();
	public $removed_cart_contents = array();
	public $applied_coupons       = array();

	public function get_cart() {
		return $this->cart_contents;
	}
	public function get_cart_contents_count() {
		return array_sum( wp_list_pluck( $this->cart_contents, 'quantity' ) );
	}
	public function is_empty() {
		return 0 === count( $this->cart_contents );
	}
	public function generate_cart_id( $product_id, $variation_id = 0, $variation = array(), $cart_item_data = array() ) {
		$id_parts = array( $product_id );
		if ( $variation_id && 0 !== $variation_id ) {
			$id_parts[] = $variation_id;
		}
		if ( is_array( $variation ) && ! empty( $variation ) ) {
			$variation_key = '';
			foreach ( $variation as $key => $value ) {
				$variation_key .= trim( $key ) . trim( $value );
			}
			$id_parts[] = $variation_key;
		}
		if ( is_array( $cart_item_data ) && ! empty( $cart_item_data ) ) {
			$id_parts[] = md5( wp_json_encode( $cart_item_data ) );
		}
		return md5( implode( '_', $id_parts ) );
	}
	public function find_product_in_cart( $cart_id = false ) {
		return ( false !== $cart_id && isset( $this->cart_contents[ $cart_id ] ) ) ? $cart_id : '';
	}
	public function add_to_cart( $product_id = 0, $quantity = 1, $variation_id = 0, $variation = array(), $cart_item_data = array() ) {
		$product = wc_get_product( $variation_id ? $variation_id : $product_id );
		if ( ! $product || ! $product->is_purchasable() || ! $product->is_in_stock() ) {
			return false;
		}
		$key = $this->generate_cart_id( $product_id, $variation_id, $variation, $cart_item_data );
		if ( isset( $this->cart_contents[ $key ] ) ) {
			$this->cart_contents[ $key ]['quantity'] += $quantity;
		} else {
			$this->cart_contents[ $key ] = array_merge(
				$cart_item_data,
				array(
					'key'          => $key,
					'product_id'   => $product_id,
					'variation_id' => $variation_id,
					'variation'    => $variation,
					'quantity'     => $quantity,
					'data'         => $product,
				)
			);
		}
		do_action( 'woocommerce_add_to_cart', $key, $product_id, $quantity, $variation_id, $variation, $cart_item_data );
		return $key;
	}
	public function remove_cart_item( $cart_item_key ) {
		if ( ! isset( $this->cart_contents[ $cart_item_key ] ) ) {
			return false;
		}
		do_action( 'woocommerce_remove_cart_item', $cart_item_key, $this );
		$this->removed_cart_contents[ $cart_item_key ] = $this->cart_contents[ $cart_item_key ];
		unset( $this->cart_contents[ $cart_item_key ] );
		do_action( 'woocommerce_cart_item_removed', $cart_item_key, $this );
		return true;
	}
	public function set_quantity( $cart_item_key, $quantity = 1 ) {
		if ( 0 === (int) $quantity || $quantity < 0 ) {
			return $this->remove_cart_item( $cart_item_key );
		}
		$old = $this->cart_contents[ $cart_item_key ]['quantity'];
		$this->cart_contents[ $cart_item_key ]['quantity'] = $quantity;
		do_action( 'woocommerce_after_cart_item_quantity_update', $cart_item_key, $quantity, $old, $this );
		return true;
	}
	public function empty_cart( $clear_persistent_cart = true ) {
		do_action( 'woocommerce_before_cart_emptied', $clear_persistent_cart );
		$this->cart_contents         = array();
		$this->removed_cart_contents = array();
		$this->applied_coupons       = array();
		do_action( 'woocommerce_cart_emptied', $clear_persistent_cart );
	}
	public function get_total( $context = 'view' ) {
		$total = 0.0;
		foreach ( $this->cart_contents as $item ) {
			$total += (float) $item['data']->get_price() * $item['quantity'];
		}
		return wc_format_decimal( $total, 2 );
	}
	public function apply_coupon( $coupon_code ) {
		$coupon_code = wc_format_coupon_code( $coupon_code );
		if ( ! wc_get_coupon_id_by_code( $coupon_code ) ) {
			wc_add_notice( sprintf( 'Coupon "%s" does not exist!', esc_html( $coupon_code ) ), 'error' );
			return false;
		}
		if ( $this->has_discount( $coupon_code ) ) {
			return false;
		}
		$this->applied_coupons[] = $coupon_code;
		do_action( 'woocommerce_applied_coupon', $coupon_code );
		return true;
	}
	public function has_discount( $coupon_code = '' ) {
		return $coupon_code ? in_array( wc_format_coupon_code( $coupon_code ), $this->applied_coupons, true ) : count( $this->applied_coupons ) > 0;
	}
	public function get_applied_coupons() {
		return $this->applied_coupons;
	}
}

function wc_format_decimal( $number, $dp = false ) {
	$number = is_numeric( $number ) ? (float) $number : 0.0;
	return false === $dp ? (string) $number : number_format( $number, (int) $dp, '.', '' );
}

function wc_format_coupon_code( $value ) {
	return html_entity_decode( trim( wp_filter_kses( (string) $value ) ) );
}

function get_woocommerce_currency() {
	return (string) get_option( 'woocommerce_currency', 'USD' );
}

function wc_get_checkout_url() {
	return home_url( '/checkout/' );
}

function wc_get_cart_url() {
	return home_url( '/cart/' );
}

function wc_get_page_permalink( $page ) {
	return home_url( '/' . $page . '/' );
}

function is_checkout() {
	return ! empty( $GLOBALS['retain_standin_is_checkout'] );
}

function is_account_page() {
	return ! empty( $GLOBALS['retain_standin_is_account_page'] );
}

// Notices, kept per request (WooCommerce keeps them in the session).
$GLOBALS['retain_standin_notices'] = array();
function wc_add_notice( $message, $notice_type = 'success', $data = array() ) {
	$GLOBALS['retain_standin_notices'][ $notice_type ][] = array( 'notice' => $message, 'data' => $data );
}
function wc_get_notices( $notice_type = '' ) {
	$all = $GLOBALS['retain_standin_notices'];
	return '' === $notice_type ? $all : ( $all[ $notice_type ] ?? array() );
}
function wc_clear_notices() {
	$GLOBALS['retain_standin_notices'] = array();
}

/** wc_get_logger(): the stand-in keeps every line so tests can check nothing secret is logged. */
class Retain_Standin_Logger {
	public static $lines = array();
	public function log( $level, $message, $context = array() ) {
		self::$lines[] = array( $level, $message, $context );
	}
	public function __call( $level, $args ) {
		$this->log( $level, $args[0] ?? '', $args[1] ?? array() );
	}
}
function wc_get_logger() {
	return new Retain_Standin_Logger();
}

// ----- Orders: an in-memory registry; ids come from real posts so they never clash. -----

class WC_Meta_Data {
	public $key;
	public $value;
	public function __construct( $key, $value ) {
		$this->key   = $key;
		$this->value = $value;
	}
	public function get_data() {
		return array(
			'key'   => $this->key,
			'value' => $this->value,
		);
	}
}

class WC_Order_Item_Product {
	private $d;
	public function __construct( array $d ) {
		$this->d = $d + array(
			'variation_id' => 0,
			'quantity'     => 1,
			'subtotal'     => '0',
			'total'        => '0',
			'name'         => '',
		);
	}
	public function get_product_id() {
		return (int) $this->d['product_id'];
	}
	public function get_variation_id() {
		return (int) $this->d['variation_id'];
	}
	public function get_quantity() {
		return (int) $this->d['quantity'];
	}
	public function get_subtotal() {
		return (string) $this->d['subtotal'];
	}
	public function get_total() {
		return (string) $this->d['total'];
	}
	public function get_name() {
		return (string) $this->d['name'];
	}
}

abstract class Retain_Standin_Abstract_Order {
	public static $registry = array();
	protected $id           = 0;
	protected $props        = array();
	protected $meta         = array();

	public function get_id() {
		return $this->id;
	}
	public function get_meta( $key, $single = true ) {
		return $this->meta[ $key ] ?? '';
	}
	public function update_meta_data( $key, $value ) {
		$this->meta[ $key ] = $value;
	}
	public function get_meta_data() {
		$out = array();
		foreach ( $this->meta as $k => $v ) {
			$out[] = new WC_Meta_Data( $k, $v );
		}
		return $out;
	}
	public function save_meta_data() {
	}
	protected function prop( $k, $default = '' ) {
		return $this->props[ $k ] ?? $default;
	}
}

class WC_Order extends Retain_Standin_Abstract_Order {
	private $items          = array();
	private $pending_change = null;

	public function __construct( $args = array() ) {
		$this->props = array_merge(
			array(
				'status'          => 'pending',
				'currency'        => get_woocommerce_currency(),
				'total'           => '0.00',
				'billing_email'   => '',
				'billing_country' => '',
				'customer_id'     => 0,
				'created_via'     => 'checkout',
			),
			$args
		);
	}
	public function get_type() {
		return 'shop_order';
	}
	public function get_status() {
		return $this->props['status'];
	}
	public function get_currency() {
		return $this->props['currency'];
	}
	public function get_total( $context = 'view' ) {
		return $this->props['total'];
	}
	public function get_billing_email() {
		return $this->props['billing_email'];
	}
	public function get_billing_country() {
		return $this->props['billing_country'];
	}
	public function get_customer_id() {
		return (int) $this->props['customer_id'];
	}
	public function get_created_via() {
		return $this->props['created_via'];
	}
	public function get_date_created() {
		return $this->prop( 'date_created', null );
	}
	public function set_status( $status ) {
		$status = preg_replace( '/^wc-/', '', $status );
		$from   = $this->props['status'];
		if ( $from !== $status ) {
			$this->pending_change = array( $from, $status );
		}
		$this->props['status'] = $status;
	}
	public function update_status( $status ) {
		$this->set_status( $status );
		return $this->save();
	}
	public function add_product_item( array $item ) {
		$this->items[] = new WC_Order_Item_Product( $item );
	}
	public function get_items( $types = 'line_item' ) {
		return $this->items;
	}
	public function save() {
		$new = ! $this->id;
		if ( $new ) {
			$this->id                    = wp_insert_post(
				array(
					'post_type'   => 'shop_order',
					'post_status' => 'wc-' . $this->props['status'],
					'post_title'  => 'Order',
				)
			);
			$this->props['date_created'] = new WC_DateTime( 'now', new DateTimeZone( 'UTC' ) );
		}
		self::$registry[ $this->id ] = $this;
		if ( $new ) {
			do_action( 'woocommerce_new_order', $this->id, $this );
		}
		if ( $this->pending_change ) {
			list( $from, $to )    = $this->pending_change;
			$this->pending_change = null;
			do_action( 'woocommerce_order_status_' . $to, $this->id, $this, array() );
			do_action( 'woocommerce_order_status_' . $from . '_to_' . $to, $this->id, $this );
			do_action( 'woocommerce_order_status_changed', $this->id, $from, $to, $this );
		}
		return $this->id;
	}
}

class WC_Order_Refund extends Retain_Standin_Abstract_Order {
	public function __construct( $args = array() ) {
		$this->props = $args;
	}
	public function get_type() {
		return 'shop_order_refund';
	}
	public function get_amount() {
		return wc_format_decimal( $this->props['amount'], 2 );
	}
	public function get_reason() {
		return (string) ( $this->props['reason'] ?? '' );
	}
	public function get_parent_id() {
		return (int) $this->props['order_id'];
	}
	public function save() {
		$this->id                    = wp_insert_post(
			array(
				'post_type'   => 'shop_order_refund',
				'post_status' => 'wc-completed',
				'post_title'  => 'Refund',
			)
		);
		self::$registry[ $this->id ] = $this;
		return $this->id;
	}
}

function wc_get_order( $the_order = false ) {
	if ( $the_order instanceof Retain_Standin_Abstract_Order ) {
		return $the_order;
	}
	return Retain_Standin_Abstract_Order::$registry[ (int) $the_order ] ?? false;
}

function wc_create_refund( $args = array() ) {
	$refund = new WC_Order_Refund( $args );
	$refund->save();
	do_action( 'woocommerce_refund_created', $refund->get_id(), $args );
	do_action( 'woocommerce_order_refunded', (int) $args['order_id'], $refund->get_id() );
	return $refund;
}

// ----- Coupons: real posts and postmeta, with WooCommerce's meta formats. -----

class WC_Coupon {
	private $id    = 0;
	private $data  = array(
		'code'                => '',
		'description'         => '',
		'discount_type'       => 'fixed_cart',
		'amount'              => '0',
		'date_expires'        => null,
		'usage_count'         => 0,
		'individual_use'      => false,
		'usage_limit'         => 0,
		'usage_limit_per_user'=> 0,
		'free_shipping'       => false,
		'email_restrictions'  => array(),
	);
	private $meta  = array();

	public function __construct( $data = '' ) {
		if ( is_numeric( $data ) && (int) $data > 0 ) {
			$this->read( (int) $data );
		} elseif ( is_string( $data ) && '' !== $data ) {
			$id = wc_get_coupon_id_by_code( $data );
			if ( $id ) {
				$this->read( $id );
			} else {
				$this->data['code'] = $data;
			}
		}
	}
	private function read( $id ) {
		$post = get_post( $id );
		if ( ! $post || 'shop_coupon' !== $post->post_type ) {
			return;
		}
		$this->id                         = $id;
		$this->data['code']               = $post->post_title;
		$this->data['description']        = $post->post_excerpt;
		$this->data['discount_type']      = get_post_meta( $id, 'discount_type', true );
		$this->data['amount']             = get_post_meta( $id, 'coupon_amount', true );
		$expires                          = get_post_meta( $id, 'date_expires', true );
		$this->data['date_expires']       = $expires ? new WC_DateTime( '@' . $expires ) : null;
		$this->data['usage_count']        = (int) get_post_meta( $id, 'usage_count', true );
		$this->data['usage_limit']        = (int) get_post_meta( $id, 'usage_limit', true );
		$this->data['individual_use']     = 'yes' === get_post_meta( $id, 'individual_use', true );
		$this->data['free_shipping']      = 'yes' === get_post_meta( $id, 'free_shipping', true );
		$this->data['email_restrictions'] = array_filter( (array) get_post_meta( $id, 'customer_email', true ) );
		foreach ( get_post_meta( $id ) as $k => $values ) {
			if ( '_' === $k[0] ) {
				$this->meta[ $k ] = maybe_unserialize( $values[0] );
			}
		}
	}
	public function get_id() {
		return $this->id;
	}
	public function get_code() {
		return $this->data['code'];
	}
	public function get_discount_type() {
		return $this->data['discount_type'];
	}
	public function get_amount() {
		return wc_format_decimal( $this->data['amount'] );
	}
	public function get_date_expires() {
		return $this->data['date_expires'];
	}
	public function get_usage_count() {
		return $this->data['usage_count'];
	}
	public function get_usage_limit() {
		return $this->data['usage_limit'];
	}
	public function get_individual_use() {
		return $this->data['individual_use'];
	}
	public function get_free_shipping() {
		return $this->data['free_shipping'];
	}
	public function get_email_restrictions() {
		return $this->data['email_restrictions'];
	}
	public function get_meta( $key, $single = true ) {
		return $this->meta[ $key ] ?? '';
	}
	public function set_code( $code ) {
		$this->data['code'] = wc_format_coupon_code( $code );
	}
	public function set_description( $d ) {
		$this->data['description'] = $d;
	}
	public function set_discount_type( $type ) {
		if ( ! in_array( $type, array( 'percent', 'fixed_cart', 'fixed_product' ), true ) ) {
			throw new Exception( 'Invalid discount type' );
		}
		$this->data['discount_type'] = $type;
	}
	public function set_amount( $amount ) {
		$this->data['amount'] = wc_format_decimal( $amount );
	}
	public function set_date_expires( $date ) {
		if ( null === $date || '' === $date ) {
			$this->data['date_expires'] = null;
		} elseif ( is_numeric( $date ) ) {
			$this->data['date_expires'] = new WC_DateTime( '@' . $date );
		} else {
			$this->data['date_expires'] = new WC_DateTime( $date );
		}
	}
	public function set_usage_limit( $n ) {
		$this->data['usage_limit'] = absint( $n );
	}
	public function set_usage_limit_per_user( $n ) {
		$this->data['usage_limit_per_user'] = absint( $n );
	}
	public function set_individual_use( $b ) {
		$this->data['individual_use'] = (bool) $b;
	}
	public function set_free_shipping( $b ) {
		$this->data['free_shipping'] = (bool) $b;
	}
	public function set_email_restrictions( $emails ) {
		$this->data['email_restrictions'] = array_map( 'strtolower', array_filter( (array) $emails ) );
	}
	public function update_meta_data( $key, $value ) {
		$this->meta[ $key ] = $value;
	}
	public function add_meta_data( $key, $value, $unique = false ) {
		$this->meta[ $key ] = $value;
	}
	public function save() {
		$postarr = array(
			'post_type'    => 'shop_coupon',
			'post_status'  => 'publish',
			'post_title'   => $this->data['code'],
			'post_excerpt' => $this->data['description'],
		);
		$new     = ! $this->id;
		if ( $new ) {
			$this->id = wp_insert_post( $postarr, true );
			if ( is_wp_error( $this->id ) ) {
				throw new Exception( $this->id->get_error_message() );
			}
		} else {
			wp_update_post( array( 'ID' => $this->id ) + $postarr );
		}
		$expires = $this->data['date_expires'];
		$meta    = array(
			'discount_type'        => $this->data['discount_type'],
			'coupon_amount'        => $this->data['amount'],
			'individual_use'       => $this->data['individual_use'] ? 'yes' : 'no',
			'usage_limit'          => $this->data['usage_limit'],
			'usage_limit_per_user' => $this->data['usage_limit_per_user'],
			'usage_count'          => $this->data['usage_count'],
			'date_expires'         => $expires ? $expires->getTimestamp() : '',
			'free_shipping'        => $this->data['free_shipping'] ? 'yes' : 'no',
			'customer_email'       => array_filter( $this->data['email_restrictions'] ),
		);
		foreach ( $meta + $this->meta as $k => $v ) {
			update_post_meta( $this->id, $k, $v );
		}
		do_action( $new ? 'woocommerce_new_coupon' : 'woocommerce_update_coupon', $this->id, $this );
		return $this->id;
	}
	public function delete( $force_delete = false ) {
		if ( ! $this->id ) {
			return false;
		}
		wp_delete_post( $this->id, $force_delete );
		$this->id = 0;
		return true;
	}
}

function wc_get_coupon_id_by_code( $code, $exclude = 0 ) {
	global $wpdb;
	return (int) $wpdb->get_var(
		$wpdb->prepare(
			"SELECT ID FROM {$wpdb->posts} WHERE post_title = %s AND post_type = 'shop_coupon' AND post_status = 'publish' AND ID <> %d ORDER BY ID ASC LIMIT 1",
			wc_format_coupon_code( $code ),
			$exclude
		)
	);
}

// ----- Action Scheduler: actions are stored (in an option) until a test or cron runs them. -----

function retain_standin_as_store( $actions = null ) {
	if ( null === $actions ) {
		return get_option( 'retain_standin_as_actions', array() );
	}
	update_option( 'retain_standin_as_actions', $actions, false );
	return $actions;
}

function retain_standin_as_add( $timestamp, $hook, $args, $group, $unique, $interval = 0 ) {
	$actions = retain_standin_as_store();
	if ( $unique && as_has_scheduled_action( $hook, null, $group ) ) {
		return 0;
	}
	$id             = ( $actions ? max( array_keys( $actions ) ) : 0 ) + 1;
	$actions[ $id ] = array(
		'hook'      => $hook,
		'args'      => array_values( (array) $args ),
		'group'     => (string) $group,
		'timestamp' => (int) $timestamp,
		'interval'  => (int) $interval,
		'status'    => 'pending',
	);
	retain_standin_as_store( $actions );
	return $id;
}

function as_enqueue_async_action( $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return retain_standin_as_add( time(), $hook, $args, $group, $unique );
}

function as_schedule_single_action( $timestamp, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return retain_standin_as_add( $timestamp, $hook, $args, $group, $unique );
}

function as_schedule_recurring_action( $timestamp, $interval_in_seconds, $hook, $args = array(), $group = '', $unique = false, $priority = 10 ) {
	return retain_standin_as_add( $timestamp, $hook, $args, $group, $unique, $interval_in_seconds );
}

function as_has_scheduled_action( $hook, $args = null, $group = '' ) {
	return false !== as_next_scheduled_action( $hook, $args, $group );
}

function as_next_scheduled_action( $hook, $args = null, $group = '' ) {
	$next = false;
	foreach ( retain_standin_as_store() as $a ) {
		if ( $a['hook'] !== $hook || ! in_array( $a['status'], array( 'pending', 'running' ), true ) ) {
			continue;
		}
		if ( '' !== $group && $a['group'] !== $group ) {
			continue;
		}
		if ( null !== $args && array_values( (array) $args ) !== $a['args'] ) {
			continue;
		}
		if ( 'running' === $a['status'] ) {
			return true;
		}
		$next = false === $next ? $a['timestamp'] : min( $next, $a['timestamp'] );
	}
	return $next;
}

function as_unschedule_all_actions( $hook, $args = array(), $group = '' ) {
	$actions = retain_standin_as_store();
	foreach ( $actions as $id => $a ) {
		if ( $a['hook'] === $hook && 'pending' === $a['status'] && ( '' === $group || $a['group'] === $group ) ) {
			$actions[ $id ]['status'] = 'canceled';
		}
	}
	retain_standin_as_store( $actions );
}

/** Test helper: pending actions, optionally only those due at $now. */
function retain_standin_pending_actions( $hook = null, $now = null ) {
	return array_filter(
		retain_standin_as_store(),
		static function ( $a ) use ( $hook, $now ) {
			return 'pending' === $a['status'] && ( null === $hook || $a['hook'] === $hook ) && ( null === $now || $a['timestamp'] <= $now );
		}
	);
}

/**
 * Test helper: runs the actions due at $now, like the Action Scheduler queue runner. An action that
 * throws is marked failed and never retried (Action Scheduler does not retry). Returns how many ran.
 */
function retain_standin_run_due_actions( $now = null, $hook = null ) {
	$now = $now ?? time();
	$ran = 0;
	foreach ( retain_standin_pending_actions( $hook, $now ) as $id => $a ) {
		$actions                  = retain_standin_as_store();
		$actions[ $id ]['status'] = 'running';
		retain_standin_as_store( $actions );
		try {
			do_action_ref_array( $a['hook'], $a['args'] );
			$status = 'complete';
		} catch ( Throwable $e ) {
			$status = 'failed';
		}
		$actions                  = retain_standin_as_store();
		$actions[ $id ]['status'] = $status;
		retain_standin_as_store( $actions );
		if ( $a['interval'] > 0 ) {
			retain_standin_as_add( $a['timestamp'] + $a['interval'], $a['hook'], $a['args'], $a['group'], false, $a['interval'] );
		}
		++$ran;
	}
	return $ran;
}
