package main

import (
	"embed"
	"net/http"
)

// playgroundFiles is the playground page: plain HTML, CSS and script, no
// build step.
//
//go:embed playground/index.html playground/app.js playground/style.css
var playgroundFiles embed.FS

// withPlayground serves the playground under /playground beside api, on
// the same origin (so the page needs no CORS and can read
// X-Refreshed-JWT-Token). Every other path goes to api unchanged.
func withPlayground(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", api)
	for pattern, f := range map[string]struct{ name, ctype string }{
		"GET /playground":           {"index.html", "text/html; charset=utf-8"},
		"GET /playground/{$}":       {"index.html", "text/html; charset=utf-8"},
		"GET /playground/app.js":    {"app.js", "text/javascript; charset=utf-8"},
		"GET /playground/style.css": {"style.css", "text/css; charset=utf-8"},
	} {
		b, err := playgroundFiles.ReadFile("playground/" + f.name)
		if err != nil {
			panic(err) // the files are embedded at build time
		}
		ctype := f.ctype
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", ctype)
			// Only this origin's own files run; nothing inline, no framing.
			h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "no-referrer")
			h.Set("Cache-Control", "no-store")
			w.Write(b)
		})
	}
	return mux
}
