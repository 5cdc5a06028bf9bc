package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestHelpNamesEveryCommand reads run's switch in main.go: each command it
// dispatches must be explained by `econdip help`.
func TestHelpNamesEveryCommand(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	ast.Inspect(f, func(n ast.Node) bool {
		if fn, ok := n.(*ast.FuncDecl); ok && fn.Name.Name != "run" {
			return false
		}
		if cc, ok := n.(*ast.CaseClause); ok {
			for _, e := range cc.List {
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					name, _ := strconv.Unquote(lit.Value)
					commands = append(commands, name)
				}
			}
		}
		return true
	})
	if len(commands) < 10 {
		t.Fatalf("found only %d commands in run: %v", len(commands), commands)
	}
	for _, c := range commands {
		if c == "help" || strings.HasPrefix(c, "-") {
			continue
		}
		if !strings.Contains(usage, "\n  "+c+" ") {
			t.Errorf("`econdip help` does not explain the command %q", c)
		}
	}
}
