package serve_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/crmbridge/crmbridge/adapter"
	"github.com/crmbridge/crmbridge/examples/testcrm"
	"github.com/crmbridge/crmbridge/serve"
)

// A third party's main: the adapter, and nothing else.
func ExampleMain() {
	serve.Main(testcrm.New(testcrm.NewCRM()))
}

// Run is Main without the process: here a server on a free port, with an
// in-memory database and keys from the (test's own) environment, stopped
// by cancelling its context.
func ExampleConfig_Run() {
	env := map[string]string{
		"DATABASE_URL":          ":memory:",
		"APP_SERVER_SECRET_KEY": strings.Repeat("s", 40),
		"TOKEN_ENCRYPTION_KEY":  "k1:" + strings.Repeat("A", 43),
		"HASH_KEY":              strings.Repeat("h", 40),
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Config{Adapters: []adapter.Adapter{testcrm.New(testcrm.NewCRM())}}.Run(ctx, serve.Process{
			Args:   []string{"-port", "0"},
			Getenv: func(k string) string { return env[k] },
			Listening: func(addr string) {
				res, err := http.Get("http://" + addr + "/isAlive")
				if err != nil {
					fmt.Println(err)
				} else {
					b, _ := io.ReadAll(res.Body)
					res.Body.Close()
					fmt.Println(res.StatusCode, string(b))
				}
				stop()
			},
		})
	}()
	fmt.Println("shut down:", <-done)
	// Output:
	// 200 OK
	// shut down: <nil>
}

// An adapter built from the OAuth client a deployment registers: three
// settings, checked and listed by -h next to serve's own.
func ExampleOAuthAdapter() {
	mycrm := serve.OAuthAdapter("MyCRM", "MYCRM", func(c serve.OAuthClient, log *slog.Logger) (adapter.Adapter, error) {
		return nil, fmt.Errorf("build MyCRM's adapter with client %s here", c.ClientID)
	})
	var help strings.Builder
	err := serve.Config{Name: "mycrm-bridge", Configured: []serve.Configured{mycrm}}.Run(context.Background(),
		serve.Process{Args: []string{"-h"}, Stdout: &help})
	for _, line := range strings.Split(help.String(), "\n") {
		if strings.Contains(line, "MYCRM") || strings.HasPrefix(line, "Usage") {
			fmt.Println(strings.TrimSpace(line))
		}
	}
	fmt.Println(err)
	// Output:
	// Usage: mycrm-bridge [flags]
	// -mycrm-client-id  [MYCRM_CLIENT_ID]
	// -mycrm-client-secret  [MYCRM_CLIENT_SECRET]
	// -mycrm-redirect-url  [MYCRM_REDIRECT_URL]
	// flag: help requested
}

// GenerateKeys makes a deployment's three keys, the values
// "crmbridge keys" prints.
func ExampleGenerateKeys() {
	k, err := serve.GenerateKeys("k1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(k.AppServerSecretKey), strings.HasPrefix(k.TokenEncryptionKey, "k1:"), len(k.HashKey))
	// Output: 64 true 64
}
