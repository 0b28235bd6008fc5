package main

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

var envRefPattern = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// expandTypedRefs prepares the file's tree for decoding: a value with
// ${NAME} references whose key is not a string (a number, a boolean, a
// duration, a list) is replaced by the YAML its expansion reads as, so that
// `port: ${SMTP_PORT}` is the integer. String values are left for
// expandEnvRefs, which keeps their expansion as it is (a password may look
// like YAML). t is the Go type node decodes into.
func expandTypedRefs(node ast.Node, t reflect.Type, p *problems) ast.Node {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || node == nil {
		return node
	}
	switch n := node.(type) {
	case *ast.StringNode:
		if t.Kind() == reflect.String || !envRefPattern.MatchString(n.Value) {
			return node
		}
		return expandedNode(n, t, p)
	case *ast.MappingNode:
		for _, mv := range n.Values {
			expandMappingValue(mv, t, p)
		}
	case *ast.MappingValueNode:
		expandMappingValue(n, t, p)
	case *ast.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for i, v := range n.Values {
				n.Values[i] = expandTypedRefs(v, t.Elem(), p)
			}
		}
	}
	return node
}

func expandMappingValue(mv *ast.MappingValueNode, t reflect.Type, p *problems) {
	key, ok := mv.Key.(*ast.StringNode)
	if !ok {
		return
	}
	switch t.Kind() {
	case reflect.Map:
		mv.Value = expandTypedRefs(mv.Value, t.Elem(), p)
	case reflect.Struct:
		for field := range t.Fields() {
			if name, _, _ := strings.Cut(field.Tag.Get("yaml"), ","); field.IsExported() && name == key.Value {
				mv.Value = expandTypedRefs(mv.Value, field.Type, p)
				return
			}
		}
	}
}

// expandedNode is the tree of n's expansion, placed where n was, so that
// decoding errors name its key and position. An unset variable or an empty
// expansion is a problem, and a null stands in (the key keeps its value)
// so that the rest of the file still decodes.
func expandedNode(n *ast.StringNode, t reflect.Type, p *problems) ast.Node {
	key := configKeyOf(n)
	expanded, err := expandEnvString(n.Value)
	if err == nil && strings.TrimSpace(expanded) == "" {
		err = fmt.Errorf("%s is empty, want %s", n.Value, yamlKindName(t))
	}
	if err != nil {
		p.addf(key, "%v", err)
		expanded = "null"
	}
	file, err := parser.ParseBytes([]byte(expanded), 0)
	if err != nil || len(file.Docs) != 1 || file.Docs[0].Body == nil {
		p.addf(key, "%s does not expand to one YAML value", n.Value)
		file = mustParse("null")
	}
	body := file.Docs[0].Body
	prefix := n.GetPath()
	ast.Walk(configNodeVisitor(func(sub ast.Node) {
		sub.SetPath(prefix + strings.TrimPrefix(sub.GetPath(), "$"))
	}), body)
	if tok := body.GetToken(); tok != nil && n.GetToken() != nil {
		tok.Position = n.GetToken().Position
	}
	return body
}

func mustParse(src string) *ast.File {
	file, err := parser.ParseBytes([]byte(src), 0)
	if err != nil {
		panic(err)
	}
	return file
}

// expandEnvRefs replaces ${NAME} and ${NAME:-fallback} in every string value
// under v, as written; key is v's key path, for the problem of an unset
// variable.
func expandEnvRefs(v reflect.Value, key string, p *problems) {
	switch v.Kind() {
	case reflect.String:
		expanded, err := expandEnvString(v.String())
		if err != nil {
			p.addf(key, "%v", err)
			return
		}
		v.SetString(expanded)
	case reflect.Pointer:
		if !v.IsNil() {
			expandEnvRefs(v.Elem(), key, p)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			field := v.Type().Field(i)
			if !field.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(field.Tag.Get("yaml"), ",")
			expandEnvRefs(v.Field(i), strings.TrimPrefix(key+"."+name, "."), p)
		}
	case reflect.Slice:
		for i := range v.Len() {
			expandEnvRefs(v.Index(i), fmt.Sprintf("%s[%d]", key, i), p)
		}
	case reflect.Map:
		if v.Type().Elem().Kind() != reflect.String {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			expanded, err := expandEnvString(v.MapIndex(k).String())
			if err != nil {
				p.addf(key+"."+k.String(), "%v", err)
				continue
			}
			v.SetMapIndex(k, reflect.ValueOf(expanded).Convert(v.Type().Elem()))
		}
	}
}

func expandEnvString(s string) (string, error) {
	var missing []string
	expanded := envRefPattern.ReplaceAllStringFunc(s, func(ref string) string {
		match := envRefPattern.FindStringSubmatch(ref)
		value, set := os.LookupEnv(match[1])
		hasFallback := strings.Contains(ref, ":-")
		switch {
		case hasFallback && value == "":
			return match[2]
		case !set:
			missing = append(missing, match[1])
		}
		return value
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return expanded, nil
}
