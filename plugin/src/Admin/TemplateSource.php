<?php
/**
 * A flow step's template file split into what the editor shows (subject, preheader, the other
 * front-matter lines, the Liquid body) and joined back. Only the YAML the template files use is
 * understood (`key: "double quoted"`, `'single quoted'` or a plain scalar); anything else gives
 * null, and the editor then shows the whole file as it is rather than risk rewriting it wrongly.
 *
 * @package Retain
 */

namespace Retain\Admin;

defined( 'ABSPATH' ) || exit;

final class TemplateSource {
	/**
	 * @return array{subject:string,preheader:string,front_matter:string,body:string}|null
	 */
	public static function split( string $source ): ?array {
		$source = self::normalise( $source );
		if ( ! preg_match( '/\A---\n(.*?)\n---(?:\n|\z)/s', $source, $m ) ) {
			return null;
		}
		$values = array();
		$rest   = array();
		$last   = null;
		foreach ( explode( "\n", $m[1] ) as $line ) {
			if ( preg_match( '/^(subject|preheader):(?:[ \t]+(.*)|[ \t]*)$/', $line, $kv ) ) {
				$value = self::scalar( $kv[2] ?? '' );
				if ( isset( $values[ $kv[1] ] ) || null === $value ) {
					return null;
				}
				$values[ $kv[1] ] = $value;
				$last             = $kv[1];
				continue;
			}
			// An indented line after subject/preheader would continue its value: not ours to read.
			if ( null !== $last && preg_match( '/^[ \t]/', $line ) ) {
				return null;
			}
			$last   = null;
			$rest[] = $line;
		}
		if ( ! isset( $values['subject'] ) ) {
			return null;
		}
		return array(
			'subject'      => $values['subject'],
			'preheader'    => $values['preheader'] ?? '',
			'front_matter' => implode( "\n", $rest ),
			'body'         => substr( $source, strlen( $m[0] ) ),
		);
	}

	/** The file text: subject and preheader first (as the shipped files have them), then the other lines kept as they were. */
	public static function join( string $subject, string $preheader, string $front_matter, string $body ): string {
		$front_matter = trim( self::normalise( $front_matter ), "\n" );
		return "---\nsubject: " . self::quote( $subject ) . "\npreheader: " . self::quote( $preheader )
			. ( '' === $front_matter ? '' : "\n" . $front_matter ) . "\n---\n" . self::normalise( $body );
	}

	/** Lines of the file before the body, so a position in the file can be told as a line of the body. */
	public static function body_offset( string $source ): int {
		$source = self::normalise( $source );
		return preg_match( '/\A---\n.*?\n---(?:\n|\z)/s', $source, $m ) ? substr_count( $m[0], "\n" ) : 0;
	}

	/** Browsers send a textarea's line breaks as CRLF; the files use LF. */
	public static function normalise( string $text ): string {
		return str_replace( array( "\r\n", "\r" ), "\n", $text );
	}

	/** One line of text for subject or preheader: line breaks become spaces, other control characters go. */
	public static function one_line( string $text ): string {
		return (string) preg_replace( '/[\x00-\x08\x0B-\x1F\x7F]/', '', str_replace( array( "\r\n", "\r", "\n" ), ' ', $text ) );
	}

	/** A YAML double-quoted scalar; `\` and `"` escaped, a tab as \t. */
	private static function quote( string $value ): string {
		return '"' . strtr( self::one_line( $value ), array( '\\' => '\\\\', '"' => '\\"', "\t" => '\\t' ) ) . '"';
	}

	/** A YAML scalar on one line, or null when it is not one we read with certainty. */
	private static function scalar( string $raw ): ?string {
		$raw = rtrim( $raw, " \t" );
		if ( '' === $raw ) {
			return '';
		}
		if ( '"' === $raw[0] ) {
			return self::double_quoted( $raw );
		}
		if ( "'" === $raw[0] ) {
			if ( ! preg_match( "/^'((?:[^']|'')*)'(?:[ \\t]+#.*)?$/", $raw, $m ) ) {
				return null;
			}
			return str_replace( "''", "'", $m[1] );
		}
		// Plain scalars: refuse anything YAML would read as something other than this text.
		if ( preg_match( '/^[\[\]{}&*!|>%@`#,?:-]/', $raw ) || false !== strpos( $raw, ': ' ) || false !== strpos( $raw, ' #' ) ) {
			return null;
		}
		return $raw;
	}

	private static function double_quoted( string $raw ): ?string {
		$escapes = array(
			'\\' => '\\',
			'"'  => '"',
			'/'  => '/',
			'n'  => "\n",
			't'  => "\t",
			'r'  => "\r",
			'0'  => "\0",
			' '  => ' ',
			'_'  => "\u{00A0}",
			'N'  => "\u{0085}",
			'L'  => "\u{2028}",
			'P'  => "\u{2029}",
		);
		$out    = '';
		$length = strlen( $raw );
		for ( $i = 1; $i < $length; $i++ ) {
			$c = $raw[ $i ];
			if ( '"' === $c ) {
				$tail = substr( $raw, $i + 1 );
				return '' === $tail || preg_match( '/^[ \t]+#/', $tail ) ? $out : null;
			}
			if ( '\\' !== $c ) {
				$out .= $c;
				continue;
			}
			$next = $raw[ $i + 1 ] ?? '';
			if ( isset( $escapes[ $next ] ) ) {
				$out .= $escapes[ $next ];
				++$i;
				continue;
			}
			$digits = array(
				'x' => 2,
				'u' => 4,
				'U' => 8,
			);
			if ( ! isset( $digits[ $next ] ) ) {
				return null;
			}
			$hex = substr( $raw, $i + 2, $digits[ $next ] );
			if ( strlen( $hex ) !== $digits[ $next ] || ! ctype_xdigit( $hex ) ) {
				return null;
			}
			$out .= mb_chr( (int) hexdec( $hex ), 'UTF-8' );
			$i   += 1 + $digits[ $next ];
		}
		return null; // No closing quote on this line.
	}
}
