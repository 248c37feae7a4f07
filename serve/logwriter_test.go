package serve

import (
	"strings"
	"testing"
	"time"

	"github.com/crmbridge/crmbridge/internal/servertest"
)

func TestLogWriterFlushes(t *testing.T) {
	t.Parallel()
	var out servertest.LogBuffer
	l := newLogWriter(&out, 10*time.Millisecond)
	l.Write([]byte("line 1\n"))
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "line 1") {
		if time.Now().After(deadline) {
			t.Fatal("buffered line never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.Write([]byte("line 2\n"))
	l.Close()
	if got := out.String(); got != "line 1\nline 2\n" {
		t.Errorf("after Close: %q", got)
	}
}
