package api

import (
	"slices"

	"github.com/gorilla/mux"
)

// Route is one mounted method and path template.
type Route struct {
	Method, Path string
}

// Routes lists the server's mounted routes, sorted by path and method.
// Paths are gorilla/mux templates ({user_id}), as the OpenAPI description
// writes them.
func (s *Server) Routes() []Route {
	var out []Route
	_ = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a path prefix, or a route for any method
		}
		for _, m := range methods {
			out = append(out, Route{Method: m, Path: path})
		}
		return nil
	})
	slices.SortFunc(out, func(a, b Route) int {
		if a.Path != b.Path {
			if a.Path < b.Path {
				return -1
			}
			return 1
		}
		if a.Method < b.Method {
			return -1
		}
		if a.Method > b.Method {
			return 1
		}
		return 0
	})
	return slices.Compact(out)
}
