package config

import (
	"os"
	"strings"
	"testing"
)

// The README documents every variable with its default.
func TestREADMEListsEveryVariable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, v := range Vars() {
		row := "| `" + v.Name + "`"
		i := strings.Index(readme, row)
		if i < 0 {
			t.Errorf("README has no row for %s", v.Name)
			continue
		}
		line := readme[i : i+strings.Index(readme[i:], "\n")]
		if v.Default != "" && !strings.Contains(line, "`"+v.Default+"`") {
			t.Errorf("README row for %s does not give the default %q: %s", v.Name, v.Default, line)
		}
	}
}
