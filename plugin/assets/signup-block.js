/* Retain: the "Newsletter sign-up" block. The form itself is rendered by PHP (same as [retain_signup]). */
( function ( blocks, element, i18n, ServerSideRender ) {
	'use strict';
	var el = element.createElement;
	blocks.registerBlockType( 'retain/signup', {
		apiVersion: 2,
		title: i18n.__( 'Newsletter sign-up (Retain)', 'retain' ),
		icon: 'email',
		category: 'widgets',
		attributes: { title: { type: 'string', default: '' } },
		edit: function ( props ) {
			return el( ServerSideRender, { block: 'retain/signup', attributes: props.attributes } );
		},
		save: function () {
			return null;
		}
	} );
}( window.wp.blocks, window.wp.element, window.wp.i18n, window.wp.serverSideRender ) );
