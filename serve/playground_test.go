package serve

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlaygroundOffByDefault: without -playground or PLAYGROUND the page
// does not exist.
func TestPlaygroundOffByDefault(t *testing.T) {
	t.Parallel()
	base, _, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "pg.db")})
	for _, p := range []string{"/playground", "/playground/app.js"} {
		if code, body := get(t, base+p); code != http.StatusNotFound || strings.Contains(body, "playground") {
			t.Errorf("GET %s without the flag: %d %.80q, want 404", p, code, body)
		}
	}
	for _, tc := range []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, false}, {"true", nil, true}, {"1", nil, true}, {"false", []string{"-playground"}, true},
		{"true", []string{"-playground=false"}, false},
	} {
		c, err := parse(tc.args, func(k string) string { return map[string]string{"PLAYGROUND": tc.env}[k] })
		if err == nil {
			err = c.validate()
		}
		if err != nil || c.Playground != tc.want {
			t.Errorf("PLAYGROUND=%q %q: playground %v, err %v; want %v", tc.env, tc.args, c.Playground, err, tc.want)
		}
	}
	c, err := parse(nil, func(k string) string { return map[string]string{"PLAYGROUND": "maybe"}[k] })
	if err == nil {
		err = c.validate()
	}
	if err == nil || !strings.Contains(err.Error(), "PLAYGROUND") {
		t.Errorf("PLAYGROUND=maybe: err %v, want one naming PLAYGROUND", err)
	}
}

// TestPlaygroundServed: with PLAYGROUND=true the page, its script and its
// stylesheet are served with a policy that runs only this origin's files,
// the API still answers beside it, and the start warns.
func TestPlaygroundServed(t *testing.T) {
	t.Parallel()
	base, stop, logs := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "pg.db"), "PLAYGROUND": "true"})
	for p, ctype := range map[string]string{"/playground": "text/html", "/playground/app.js": "text/javascript", "/playground/style.css": "text/css"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), ctype) ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("GET %s: %d %q %q", p, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"))
		}
	}
	if code, body := get(t, base+"/isAlive"); code != 200 || body != "OK" {
		t.Errorf("isAlive beside the playground: %d %q", code, body)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "playground is on") {
		t.Errorf("no warning that the playground is on:\n%s", logs)
	}
}

// chromiumPath finds Debian's chromium. Outside CI a missing browser skips
// the test; in CI (CI set) it fails it: .ci/run installs chromium.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" {
		t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it and runs this test")
	}
	t.Fatal("CI is set but chromium is not installed: .ci/run should have installed it with apt-get")
	return ""
}

// TestPlaygroundInChromium drives the page in headless Chromium: log in
// with an API key, look up a number, log a call, and see it logged (the
// page confirms through GET /callLog); then edit the call, log an SMS day
// twice, create the placeholder contact and log out. It keeps a screenshot in the test's
// temp dir, and copies it to $CRMBRIDGE_PLAYGROUND_SCREENSHOT when set (the
// README's image is made that way).
func TestPlaygroundInChromium(t *testing.T) {
	t.Parallel()
	exe := chromiumPath(t)
	base, _, _ := start(t, map[string]string{"DATABASE_URL": filepath.Join(t.TempDir(), "pg.db")}, "-playground")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	// A bound, not a threshold: a hung browser fails the test instead of
	// holding CI.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(id string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("reading #%s: %v", id, err)
		}
		return s
	}
	// waitText waits until element id's text contains want.
	waitText := func(id, want string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		expr := fmt.Sprintf("(document.getElementById(%q) || {textContent: ''}).textContent.includes(%q)", id, want)
		if _, err := chromedp.Run(wctx, chromedp.Poll[bool](expr)); err != nil {
			t.Fatalf("waiting for %q in #%s (now %q): %v", want, id, text(id), err)
		}
	}
	do("log in",
		chromedp.Navigate(base+"/playground"),
		chromedp.WaitVisible(chromedp.ID("login-btn")),
		chromedp.SetValue(chromedp.ID("api-key"), "browser-key"),
		chromedp.Click(chromedp.ID("login-btn")),
		chromedp.WaitVisible(chromedp.CSS("#session-state.logged-in")),
	)
	session := text("session-state")
	do("look up",
		chromedp.SetValue(chromedp.ID("phone"), "+16505551212"),
		chromedp.Click(chromedp.ID("lookup-btn")),
		chromedp.WaitVisible(chromedp.CSS("#contacts li.contact")),
	)
	contacts := text("contacts")
	do("log a call",
		chromedp.SetValue(chromedp.ID("call-note"), "Called from headless Chromium"),
		chromedp.Click(chromedp.ID("log-call-btn")),
		chromedp.WaitVisible(chromedp.CSS("#call-status.logged")),
	)
	status := text("call-status")
	log := text("log")
	// The whole page, from the top, for the README.
	if _, err := chromedp.Run(bctx, chromedp.Evaluate[any]("window.scrollTo(0, 0)")); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(t.TempDir(), "playground.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", file, len(shot))
	if dst := os.Getenv("CRMBRIDGE_PLAYGROUND_SCREENSHOT"); dst != "" {
		if err := os.WriteFile(dst, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if !strings.Contains(session, "Logged in as") {
		t.Errorf("session state %q", session)
	}
	if !strings.Contains(contacts, "Alice Anderson") {
		t.Errorf("contacts %q, want Alice Anderson", contacts)
	}
	if !strings.Contains(status, "Logged in the CRM as logId") || !strings.Contains(status, "Called from headless Chromium") {
		t.Errorf("call status %q, want the logId and the note read back", status)
	}
	// The log panel shows each request and its answer, the JWT masked.
	for _, want := range []string{"POST /apiKeyLogin", "GET /contact?jwtToken=", "phoneNumber=+16505551212", "POST /callLog", "GET /callLog", "HTTP 200", `"logId"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the request log lacks %q", want)
		}
	}
	if len(shot) < 8 || string(shot[1:4]) != "PNG" {
		t.Errorf("the screenshot is not a PNG")
	}

	// The rest of the page: edit the call, log an SMS day twice (the second
	// time nothing is new), create the placeholder contact for an unknown
	// number, log out.
	do("edit the call",
		chromedp.SetValue(chromedp.ID("edit-note"), "Edited in Chromium"),
		chromedp.Click(chromedp.ID("edit-call-btn")),
	)
	waitText("call-status", "note: Edited in Chromium")
	do("log an SMS day",
		chromedp.Click(chromedp.ID("sms-btn")),
	)
	waitText("sms-status", "2 new message(s) logged")
	do("log the SMS day again", chromedp.Click(chromedp.ID("sms-btn")))
	waitText("sms-status", "Nothing new")
	do("create the placeholder contact",
		chromedp.SetValue(chromedp.ID("phone"), "+19175550142"),
		chromedp.Click(chromedp.ID("lookup-btn")),
		chromedp.WaitVisible(chromedp.ID("create-contact-btn")),
		chromedp.SetValue(chromedp.ID("new-contact-name"), "Chromium Caller"),
		chromedp.Click(chromedp.ID("create-contact-btn")),
	)
	waitText("contacts", "Chromium Caller · id")
	do("log out",
		chromedp.Click(chromedp.ID("logout-btn")),
		chromedp.WaitVisible(chromedp.CSS("#session-state.logged-out")),
	)
	if got := text("log"); !strings.Contains(got, "POST /unAuthorize") || !strings.Contains(got, "POST /contact") || !strings.Contains(got, "PATCH /callLog") {
		t.Errorf("the request log lacks the later requests:\n%.2000s", got)
	}
}
