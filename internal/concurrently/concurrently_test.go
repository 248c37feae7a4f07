package concurrently_test

import (
	"sync"
	"testing"

	"github.com/crmbridge/crmbridge/internal/concurrently"
)

// Every call runs, each result lands at its index, and the calls overlap:
// none returns before all have started.
func TestRun(t *testing.T) {
	t.Parallel()
	const n = 20
	var started sync.WaitGroup
	started.Add(n)
	got := concurrently.Run(n, func(i int) int {
		started.Done()
		started.Wait() // blocks forever unless all n run at once
		return i * i
	})
	for i, v := range got {
		if v != i*i {
			t.Errorf("result %d = %d, want %d", i, v, i*i)
		}
	}
}
