package all_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/riskbatch/riskbatch/providers"
)

// isRegistrationList reports whether f is a registration list: a file that
// only imports packages for their side effects (`import _ "…"`) and
// declares nothing — providers/all/all.go for the clients, and the list of
// the simulators. Only such a file may import a vendor package.
func isRegistrationList(f *ast.File) bool {
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); !ok || gd.Tok != token.IMPORT {
			return false
		}
	}
	for _, imp := range f.Imports {
		if imp.Name == nil || imp.Name.Name != "_" {
			return false
		}
	}
	return len(f.Imports) > 0
}

// kindLiterals are the files outside a vendor's folder that may name it by
// its registry name (a Go string literal such as "juhe"), and why.
var kindLiterals = map[string]string{
	// BENCHMARKS.md's scenarios are defined over named vendors; everything
	// else the bench needs of them comes from the registry.
	"cmd/riskbatch/bench/job.go": "the benchmark scenarios name their vendors",
}

// vendorPackage is one vendor's folder as the registration list imports it.
type vendorPackage struct {
	path  string          // import path
	dir   string          // folder, relative to the root
	name  string          // package name
	kind  string          // registry name (the folder's name)
	types map[string]bool // exported type names declared in its non-test files
	// typeRefs matches a qualified reference to one of them, as a whole
	// word ("xtd.Client" is not td's).
	typeRefs *regexp.Regexp
}

// TestOneFolderOwnsAVendor: a vendor lives in providers/<vendor>/ and
// nothing outside that folder names it — neither its import path, nor an
// exported type it declares (qualified, as `juhe.Client`, in code, strings
// or comments), nor its registry name as a string literal — except the
// registration lists (and kindLiterals for the registry name). Adding a
// vendor is then its folder plus one line per list (docs/ARCHITECTURE.md,
// "Adding a vendor").
func TestOneFolderOwnsAVendor(t *testing.T) {
	root, module := repoRoot(t)
	vendors := vendorPackages(t, root, module)
	folders := map[string]bool{}
	for _, v := range vendors {
		folders[v.kind] = true
	}
	for _, kind := range providers.Kinds() {
		if !folders[kind] {
			t.Fatalf("registered vendor %s has no folder providers/%s imported by providers/all/all.go (found %v)", kind, kind, folders)
		}
	}
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(mustRel(t, root, path))
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, v := range vendors {
			if rel == v.dir || strings.HasPrefix(rel, v.dir+"/") {
				continue // its own folder, simulator sub-packages included
			}
			found = append(found, namesVendor(rel, string(src), f, v)...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

// namesVendor lists how the file rel names vendor v outside v's folder.
func namesVendor(rel, src string, f *ast.File, v vendorPackage) []string {
	var out []string
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if (p == v.path || strings.HasPrefix(p, v.path+"/")) && !isRegistrationList(f) {
			out = append(out, rel+": imports "+p+" (only the registration lists import a vendor)")
		}
	}
	for _, m := range v.typeRefs.FindAllString(src, -1) {
		out = append(out, rel+": names "+m)
	}
	if _, ok := kindLiterals[rel]; !ok {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && s == v.kind {
					out = append(out, rel+": the string "+lit.Value+" (read the vendor's part from the registry)")
				}
			}
			return true
		})
	}
	return out
}

// repoRoot is the folder of go.mod above this package, and the module path.
func repoRoot(t *testing.T) (root, module string) {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if m, ok := strings.CutPrefix(sc.Text(), "module "); ok {
			return root, strings.TrimSpace(m)
		}
	}
	t.Fatalf("%s/go.mod names no module", root)
	return "", ""
}

// vendorPackages are the packages providers/all/all.go imports, with the
// exported types each declares.
func vendorPackages(t *testing.T, root, module string) []vendorPackage {
	t.Helper()
	list, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, "providers", "all", "all.go"), nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var out []vendorPackage
	for _, imp := range list.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		dir, ok := strings.CutPrefix(p, module+"/")
		if !ok {
			continue
		}
		v := vendorPackage{path: p, dir: dir, kind: filepath.Base(dir), types: map[string]bool{}}
		files, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range files {
			if fi.IsDir() || !strings.HasSuffix(fi.Name(), ".go") || strings.HasSuffix(fi.Name(), "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(root, filepath.FromSlash(dir), fi.Name()), nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			v.name = f.Name.Name
			for _, decl := range f.Decls {
				if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
					for _, s := range gd.Specs {
						if ts := s.(*ast.TypeSpec); ts.Name.IsExported() {
							v.types[ts.Name.Name] = true
						}
					}
				}
			}
		}
		names := make([]string, 0, len(v.types))
		for n := range v.types {
			names = append(names, regexp.QuoteMeta(n))
		}
		sort.Strings(names)
		v.typeRefs = regexp.MustCompile(`\b` + regexp.QuoteMeta(v.name) + `\.(?:` + strings.Join(names, "|") + `)\b`)
		if len(v.types) == 0 {
			t.Errorf("%s declares no exported type: the check would see nothing", dir)
		}
		out = append(out, v)
	}
	return out
}

func mustRel(t *testing.T, root, path string) string {
	rel, err := filepath.Rel(root, path)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}
