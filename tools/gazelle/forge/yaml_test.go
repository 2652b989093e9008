package forge

import (
	"testing"

	"gopkg.in/yaml.v2"
)

// Every string the structure test configuration quotes reads back the
// same through gopkg.in/yaml.v2, the parser container-structure-test 1.22.1
// reads its configuration with.
func TestYAMLStringsRoundTripThroughContainerStructureTestsParser(t *testing.T) {
	hostile := []string{
		"", "'", "''", `"`, `\`, "65532:65532", "0755", "true", "~", "null", "# x", "a: b", "- x", "*x", "&x", "!x",
		"{x}", "[x]", "%x", "@x", "`x", "a\nb", "\t", "\r", "\x00", "\x7f", "\u0085", "\u2028", "é", "🚀", " x ", "x ",
	}
	for _, s := range hostile {
		var got struct{ V string }
		if err := yaml.Unmarshal([]byte("v: "+yamlString(s)), &got); err != nil {
			t.Errorf("yamlString(%q) = %s: %v", s, yamlString(s), err)
			continue
		}
		if got.V != s {
			t.Errorf("yamlString(%q) = %s reads back as %q", s, yamlString(s), got.V)
		}
	}
}
