<?php
// Router for `php -S`: static files and real .php scripts as they are, everything else to index.php
// (pretty permalinks are off in the test site, so this is only a fallback).
$root = $_SERVER['DOCUMENT_ROOT'];
$path = urldecode( parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
if ( '/' !== $path && file_exists( $root . $path ) ) {
	if ( is_dir( $root . $path ) ) {
		if ( ! is_file( rtrim( $root . $path, '/' ) . '/index.php' ) ) {
			return false;
		}
		$_SERVER['SCRIPT_NAME'] = rtrim( $path, '/' ) . '/index.php';
		chdir( rtrim( $root . $path, '/' ) );
		require rtrim( $root . $path, '/' ) . '/index.php';
		return true;
	}
	return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
require $root . '/index.php';
