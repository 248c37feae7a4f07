package concurrently

// Run calls fn(i) for i in [0, n) on n goroutines released at the same
// moment, waits for all of them and returns the results in index order.
func Run[T any](n int, fn func(i int) T) []T {
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
