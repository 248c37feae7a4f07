package replicas

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/internal/servertest"
	"github.com/crmbridge/crmbridge/store"
)

// replicaCount is how many servers share the database.
const replicaCount = 2

// cluster is replicaCount servers over one PostgreSQL schema, each with its
// own handler, store and pool, and a round-robin "load balancer" in front.
type cluster struct {
	t       *testing.T
	served  []atomic.Int32 // requests each replica answered
	next    atomic.Uint32
	schema  string
	stores  []store.Store
	servers []*httpserver.Server
	replica []*servertest.Server
}

// newCluster starts the replicas. adapters is called once per replica, as
// each replica process would build its own adapter values.
func newCluster(t *testing.T, adapters func() []adapter.Adapter, opts ...httpserver.Option) *cluster {
	t.Helper()
	return newClusterDSN(t, servertest.NeedPostgres(t), adapters, opts...)
}

// newClusterDSN is newCluster on the given DSN.
func newClusterDSN(t *testing.T, dsn string, adapters func() []adapter.Adapter, opts ...httpserver.Option) *cluster {
	t.Helper()
	return newClusterWrapped(t, dsn, adapters, nil, opts...)
}

// newClusterWrapped is newClusterDSN where replica i's server sees
// wrap(i, store) instead of its store (fault injection); wrap may be nil.
func newClusterWrapped(t *testing.T, dsn string, adapters func() []adapter.Adapter, wrap func(i int, st store.Store) store.Store, opts ...httpserver.Option) *cluster {
	t.Helper()
	c := &cluster{
		t:      t,
		schema: servertest.NewSchema(t),
		served: make([]atomic.Int32, replicaCount),
	}
	// Every replica is configured alike, as from one deployment's
	// environment: the same JWT secret and the same sealing key.
	key, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute}
	for i := range replicaCount {
		cfg := servertest.Config{
			Adapters:   adapters(),
			Options:    opts,
			Postgres:   true,
			DSN:        dsn,
			Schema:     c.schema,
			SealingKey: &key,
			Client:     client,
			Mount: func(h http.Handler) (http.Handler, string) {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					c.served[i].Add(1)
					h.ServeHTTP(w, r)
				}), ""
			},
		}
		if wrap != nil {
			cfg.WrapStore = func(st store.Store) store.Store { return wrap(i, st) }
		}
		s := servertest.New(t, cfg)
		c.replica = append(c.replica, s)
		c.stores = append(c.stores, s.Store)
		c.servers = append(c.servers, s.Handler)
	}
	return c
}

// response is an answer of a replica.
type response struct {
	replica int
	status  int
	body    []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("replica %d answered %d with a body that is not a JSON object: %q", r.replica, r.status, r.body)
	}
	return m
}

// do sends a request to the next replica in turn. body is JSON-encoded
// unless nil; jwt, when not empty, goes in the Authorization header.
func (c *cluster) do(method, path, jwt string, body any) (response, error) {
	i := int(c.next.Add(1)-1) % replicaCount
	return c.doOn(i, method, path, jwt, body)
}

// doOn sends a request to replica i; the answer is checked against the
// contract.
func (c *cluster) doOn(i int, method, path, jwt string, body any) (response, error) {
	var headers []string
	if jwt != "" {
		headers = servertest.Bearer(jwt)
	}
	r, err := c.replica[i].Send(method, path, body, headers...)
	return response{replica: i, status: r.Status, body: r.Body}, err
}

// mustDo is do for requests outside the concurrent part of a test.
func (c *cluster) mustDo(method, path, jwt string, body any) response {
	c.t.Helper()
	r, err := c.do(method, path, jwt, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// checkBothServed fails the test unless every replica answered requests.
func (c *cluster) checkBothServed() {
	c.t.Helper()
	for i := range c.served {
		if c.served[i].Load() == 0 {
			c.t.Errorf("replica %d answered no request", i)
		}
	}
}

// successful reads the envelope's "successful".
func successful(m map[string]any) bool {
	ok, _ := m["successful"].(bool)
	return ok
}
