package debversion

// Compare orders two Debian versions as dpkg does (without epochs or
// revisions, which FromTag never produces): -1, 0 or 1. Non-digit runs
// compare character by character with "~" before everything, even the end,
// and letters before other characters; digit runs compare as numbers.
func Compare(a, b string) int {
	for a != "" || b != "" {
		var na, nb string
		na, a = split(a, false)
		nb, b = split(b, false)
		if c := compareText(na, nb); c != 0 {
			return c
		}
		na, a = split(a, true)
		nb, b = split(b, true)
		if c := compareNumber(na, nb); c != 0 {
			return c
		}
	}
	return 0
}

func split(s string, digits bool) (string, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) == digits {
		i++
	}
	return s[:i], s[i:]
}

func order(c byte) int {
	switch {
	case c == '~':
		return -1
	case isLetter(c):
		return int(c)
	default:
		return int(c) + 256
	}
}

func compareText(a, b string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		var ca, cb int
		if i < len(a) {
			ca = order(a[i])
		}
		if i < len(b) {
			cb = order(b[i])
		}
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	return 0
}

func compareNumber(a, b string) int {
	for len(a) > 0 && a[0] == '0' {
		a = a[1:]
	}
	for len(b) > 0 && b[0] == '0' {
		b = b[1:]
	}
	switch {
	case len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
