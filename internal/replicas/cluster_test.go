package replicas

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/auth"
	"github.com/crmbridge/crmbridge/httpserver"
	"github.com/crmbridge/crmbridge/store"
	"github.com/crmbridge/crmbridge/store/postgres"
)

// dsnEnv names the variable holding the DSN of the test database.
const dsnEnv = "CRMBRIDGE_TEST_POSTGRES_DSN"

// replicaCount is how many servers share the database.
const replicaCount = 2

// cluster is replicaCount servers over one PostgreSQL schema, each with its
// own handler, store and pool, and a round-robin "load balancer" in front.
type cluster struct {
	t       *testing.T
	urls    []string
	served  []atomic.Int32 // requests each replica answered
	next    atomic.Uint32
	client  *http.Client
	schema  string
	stores  []*postgres.Store
	servers []*httpserver.Server
}

// newCluster starts the replicas. adapters is called once per replica, as
// each replica process would build its own adapter values.
func newCluster(t *testing.T, adapters func() []adapter.Adapter, opts ...httpserver.Option) *cluster {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skip(dsnEnv + " not set: skipping PostgreSQL tests")
	}
	return newClusterDSN(t, dsn, adapters, opts...)
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
		schema: "crmbridge_replicas_" + randomHex(8),
		served: make([]atomic.Int32, replicaCount),
		client: &http.Client{Timeout: time.Minute},
	}
	t.Cleanup(func() { dropSchema(t, dsn, c.schema) })

	// Every replica is configured alike, as from one deployment's
	// environment: the same JWT secret and the same sealing key.
	secret := []byte(strings.Repeat("s", auth.MinJWTSecretLength))
	key, err := auth.GenerateSealingKey("k1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range replicaCount {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		st, err := postgres.Open(ctx, dsn, postgres.WithSchema(c.schema))
		cancel()
		if err != nil {
			t.Fatalf("replica %d: postgres.Open: %v", i, err)
		}
		t.Cleanup(func() { st.Close() })
		sessions, err := auth.NewJWTIssuer(secret)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := auth.NewSealingKeyRing(key)
		if err != nil {
			t.Fatal(err)
		}
		var served store.Store = st
		if wrap != nil {
			served = wrap(i, st)
		}
		srv, err := httpserver.New(httpserver.Config{
			Adapters:    adapters(),
			Store:       served,
			JWTIssuer:   sessions,
			SealingKeys: keys,
		}, opts...)
		if err != nil {
			t.Fatalf("replica %d: httpserver.New: %v", i, err)
		}
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.served[i].Add(1)
			srv.ServeHTTP(w, r)
		}))
		t.Cleanup(func() { srv.Close() })
		t.Cleanup(ts.Close)
		c.stores = append(c.stores, st)
		c.servers = append(c.servers, srv)
		c.urls = append(c.urls, ts.URL)
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

// doOn sends a request to replica i.
func (c *cluster) doOn(i int, method, path, jwt string, body any) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.urls[i]+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if jwt != "" {
		req.Header.Set("Authorization", "Bearer "+jwt)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return response{replica: i, status: resp.StatusCode, body: b}, err
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

// together runs fn(i) for i in [0, n) on n goroutines released at the same
// moment and returns the results in index order.
func together[T any](n int, fn func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			out[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func dropSchema(t *testing.T, dsn, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`); err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
	var left bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&left); err != nil || left {
		t.Errorf("schema %s left behind after the drop (%v)", schema, err)
	}
}

// successful reads the envelope's "successful".
func successful(m map[string]any) bool {
	ok, _ := m["successful"].(bool)
	return ok
}
