/* Retain: tells the shop a guest's e-mail address as they type it on the classic checkout. */
( function () {
	'use strict';
	var cfg = window.retainCheckout;
	if ( ! cfg ) {
		return;
	}
	var timer = null;
	var last = '';
	var looksLikeEmail = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

	function send() {
		var input = document.getElementById( 'billing_email' );
		if ( ! input ) {
			return;
		}
		var email = input.value.trim();
		var box = document.getElementById( cfg.field );
		var consent = box && box.checked ? '1' : '';
		var key = email + '|' + consent;
		if ( ! looksLikeEmail.test( email ) || key === last ) {
			return;
		}
		last = key;
		var body = new URLSearchParams( { action: cfg.action, nonce: cfg.nonce, email: email, consent: consent } );
		window.fetch( cfg.url, { method: 'POST', credentials: 'same-origin', body: body } ).catch( function () {} );
	}

	function schedule() {
		window.clearTimeout( timer );
		timer = window.setTimeout( send, 800 );
	}

	document.addEventListener( 'input', function ( e ) {
		if ( e.target && e.target.id === 'billing_email' ) {
			schedule();
		}
	} );
	document.addEventListener( 'change', function ( e ) {
		if ( e.target && ( e.target.id === 'billing_email' || e.target.id === cfg.field ) ) {
			schedule();
		}
	} );
}() );
