package httpserver

// RoutePatterns lists the patterns of the server's route table, for the
// test that compares them with the OpenAPI document.
func RoutePatterns(s *Server) []string {
	var out []string
	for _, rt := range s.routeTable() {
		out = append(out, rt.pattern)
	}
	return out
}
