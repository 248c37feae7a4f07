package httpserver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"testing"

	"github.com/crmbridge/crmbridge/store"
)

// measuredStore defines every method of store.Store (but Close): one it
// does not would be promoted from the embedded store and pass through
// unmeasured. A method added to store.Store fails this test until it is
// measured too.
func TestMeasuredStoreCoversTheStore(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "storemetrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
			continue
		}
		if id, ok := fn.Recv.List[0].Type.(*ast.Ident); ok && id.Name == "measuredStore" {
			own[fn.Name.Name] = true
		}
	}
	iface := reflect.TypeFor[store.Store]()
	for i := range iface.NumMethod() {
		if name := iface.Method(i).Name; name != "Close" && !own[name] {
			t.Errorf("store.Store.%s is not measured by measuredStore", name)
		}
	}
}
