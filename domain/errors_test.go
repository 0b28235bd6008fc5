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

// Every error on the wire comes from the registry: every domain.E in the
// module names a registered key as a literal (no code built at run time),
// and no code outside the registry builds a domain.Error itself (no status
// or code decided elsewhere).
func TestEveryErrorComesFromTheRegistry(t *testing.T) {
	root, _ := filepath.Abs("..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		// The registry itself, and this test, which walks it.
		registryFile := filepath.Dir(path) == filepath.Join(root, "domain") &&
			(filepath.Base(path) == "errors.go" || filepath.Base(path) == "errors_test.go")
		inDomain := f.Name.Name == "domain" || f.Name.Name == "domain_test"
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if isDomainIdent(n.Fun, "E", inDomain) && !registryFile {
					checkKey(t, fset, n)
				}
			case *ast.CompositeLit:
				if isDomainIdent(n.Type, "Error", inDomain) && !registryFile {
					t.Errorf("%s: builds a domain.Error itself; use domain.E with a registered key", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isDomainIdent reports whether expr names domain.<name> (or <name> inside
// package domain).
func isDomainIdent(expr ast.Expr, name string, inDomain bool) bool {
	switch e := expr.(type) {
	case *ast.SelectorExpr:
		pkg, ok := e.X.(*ast.Ident)
		return ok && pkg.Name == "domain" && e.Sel.Name == name
	case *ast.Ident:
		return inDomain && e.Name == name
	}
	return false
}

func checkKey(t *testing.T, fset *token.FileSet, call *ast.CallExpr) {
	t.Helper()
	pos := fset.Position(call.Pos())
	if len(call.Args) != 1 {
		t.Errorf("%s: domain.E takes one key", pos)
		return
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		t.Errorf("%s: domain.E needs a registered key as a string literal, not a value built at run time", pos)
		return
	}
	key, _ := strconv.Unquote(lit.Value)
	if !domain.Registered(key) {
		t.Errorf("%s: error %q is not registered", pos, key)
	}
}

// A key is the wire code, or code@variant answering the code with another
// status; the OneLogin-style and admin entries answer with their names.
func TestKeysAndWireCodes(t *testing.T) {
	for _, key := range domain.Keys() {
		e := domain.E(key)
		code, variant, hasVariant := strings.Cut(key, "@")
		switch {
		case strings.HasPrefix(key, "onelogin."), strings.HasPrefix(key, "admin."), strings.HasPrefix(key, "oidc."):
			if e.Code == "" || strings.Contains(e.Code, ".") {
				t.Errorf("%s answers as %q, want a OneLogin name", key, e.Code)
			}
		case hasVariant:
			if e.Code != code || variant == "" || !domain.Registered(code) || domain.E(code).Status == e.Status {
				t.Errorf("%s: a variant must answer its registered code %q with another status", key, code)
			}
		case e.Code != key && e.Code != "":
			t.Errorf("%s answers as %q", key, e.Code)
		}
		if e.Status < 400 || e.Message == "" {
			t.Errorf("%s: status %d, message %q", key, e.Status, e.Message)
		}
	}
}
