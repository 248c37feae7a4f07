package sqlite

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// pragmas are applied by the driver to every new pooled connection, so no
// connection ever runs without them. The driver runs busy_timeout first.
var pragmas = url.Values{
	"_pragma": {
		"busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")",
		"foreign_keys(1)",
		"journal_mode(WAL)",
		"synchronous(NORMAL)",
	},
	// Transactions (schema migrations, DeleteUser) take the write lock at
	// BEGIN: a deferred transaction that reads first and writes later can
	// fail with SQLITE_BUSY without waiting when another writer got in
	// between.
	"_txlock": {"immediate"},
}

var errEmptyPath = errors.New("store/sqlite: empty database path")

// buildDSN turns what the caller gave Open into a driver DSN carrying our
// pragmas, and reports whether the database lives in memory only.
//
// A plain path is turned into a "file:" URI so that characters SQLite URIs
// treat specially ('?', '#', '%') in a file name cannot be misread.
func buildDSN(path string) (dsn string, memory bool, err error) {
	switch {
	case path == "":
		return "", false, errEmptyPath
	case path == ":memory:":
		return "file::memory:?" + pragmas.Encode(), true, nil
	case strings.HasPrefix(path, "file:"):
		base, query, _ := strings.Cut(path, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", false, err
		}
		memory = base == "file::memory:" || q.Get("mode") == "memory" || q.Get("vfs") == "memdb"
		for k, v := range pragmas {
			q[k] = append(q[k], v...)
		}
		return base + "?" + q.Encode(), memory, nil
	default:
		u := url.URL{Scheme: "file", Path: path}
		if !strings.HasPrefix(path, "/") {
			// A relative path must stay relative: "file:data/x.db".
			u = url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath()}
		}
		return u.String() + "?" + pragmas.Encode(), false, nil
	}
}

// FilePath is the file that a path given to [Open] names: the path itself,
// or the path of a "file:" URI without its query, unescaped
// ("file:/var/lib/a%20b.db?cache=1" names "/var/lib/a b.db"). ok is false
// for an in-memory database (":memory:", "mode=memory", "vfs=memdb"), for
// an empty path and for a URI naming a host other than localhost. A
// program uses it to set up the file's directory and permissions, or to put
// other files beside it.
func FilePath(path string) (file string, ok bool) {
	if path == "" || path == ":memory:" {
		return "", false
	}
	if !strings.HasPrefix(path, "file:") {
		return path, true
	}
	rest, query, _ := strings.Cut(strings.TrimPrefix(path, "file:"), "?")
	q, _ := url.ParseQuery(query)
	if q.Get("mode") == "memory" || q.Get("vfs") == "memdb" || rest == ":memory:" || rest == "" {
		return "", false
	}
	if strings.HasPrefix(rest, "//") {
		host, p, _ := strings.Cut(strings.TrimPrefix(rest, "//"), "/")
		if host != "" && host != "localhost" {
			return "", false
		}
		rest = "/" + p
	}
	if p, err := url.PathUnescape(rest); err == nil {
		rest = p
	}
	return rest, true
}
