// Package debversion maps a protocol's release tag to a Debian package
// version that dpkg accepts and that orders releases as upstream does.
//
// The mapping, applied to the image tag (VERSION after its last "/"):
//
//   - A leading "v" or "V" before a digit is dropped: v1.9.5 is 1.9.5.
//   - A tag that then starts with a digit keeps its leading run of digits and
//     dots as the version; anything after it is a pre-release of that version
//     and follows a "~", which dpkg sorts before the release itself:
//     v0.3.0-dev is 0.3.0~dev, before 0.3.0.
//   - Any other tag is a release name, not a number: it becomes "0+" and the
//     name, so every named release sorts before any numbered one and named
//     releases sort among themselves by dpkg's rules (agoric-upgrade-7-2
//     before agoric-upgrade-10): Hack-v2 is 0+Hack.v2, never 2.
//   - Inside the suffix or name, "-" and "_" become ".": a Debian version
//     without a revision may hold only letters, digits and ". + ~".
//
// The result has no epoch and no Debian revision.
package debversion

import "strings"

// FromTag returns the Debian version for an image tag.
func FromTag(tag string) string {
	t := tag
	if len(t) > 1 && (t[0] == 'v' || t[0] == 'V') && isDigit(t[1]) {
		t = t[1:]
	}
	if t == "" || !isDigit(t[0]) {
		return "0+" + sanitize(t)
	}
	end := 0
	for end < len(t) && (isDigit(t[end]) || t[end] == '.') {
		end++
	}
	// A number never ends in a dot; give the dot to the suffix.
	for end > 1 && t[end-1] == '.' {
		end--
	}
	number, rest := t[:end], strings.TrimLeft(t[end:], "-_.")
	if rest == "" {
		return number
	}
	return number + "~" + sanitize(rest)
}

func sanitize(s string) string {
	return strings.Map(func(c rune) rune {
		switch {
		case c == '-' || c == '_':
			return '.'
		case c < 0x80 && (isDigit(byte(c)) || isLetter(byte(c)) || c == '.' || c == '+' || c == '~'):
			return c
		default:
			return -1
		}
	}, s)
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
