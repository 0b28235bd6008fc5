package domain_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/authtrail/authtrail/domain"
)

// Every code passed to domain.E anywhere in the module is registered: an
// unregistered one would panic at run time.
func TestEveryUsedCodeIsRegistered(t *testing.T) {
	root, _ := filepath.Abs("..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "E" {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "domain" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok {
				code, _ := strconv.Unquote(lit.Value)
				func() {
					defer func() {
						if recover() != nil {
							t.Errorf("%s: code %q is not registered", path, code)
						}
					}()
					domain.E(code)
				}()
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
