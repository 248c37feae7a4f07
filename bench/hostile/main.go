// Command hostile measures what hostile GET /contact lookups cost
// examples/server (PROTOCOL.md §1, bounded work per request): it starts the
// server on loopback with a fresh SQLite database, logs in once, and sends,
// one at a time,
//
//   - N lookups whose phoneNumber is 1 MB (refused by the header limit),
//   - N lookups whose phoneNumber is just under the header limit (refused
//     by the handler's 64-byte bound),
//   - N lookups with a maximal overridingFormat: 16 distinct patterns of 64
//     bytes, new ones for every request (so no cache helps),
//   - N lookups with ten times that (refused), and N with 3,000 patterns
//     filling the header limit (refused),
//
// then reports the server's resident memory after each phase and the CPU
// time the server spent per request (all its threads, from
// /proc/PID/task/*/schedstat, in nanoseconds): the worst, the 99th
// percentile and the mean. Goals: RSS under 64 MB, worst request under 10 ms.
//
//	go run ./bench/hostile                 # builds ./examples/server
//	go run ./bench/hostile -server ./srv   # measures a binary built elsewhere
//
// Linux only (it reads /proc). Everything runs on 127.0.0.1 and stops when
// done.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	server := flag.String("server", "", "server binary (default: build ./examples/server)")
	n := flag.Int("n", 3000, "requests per phase")
	port := flag.Int("port", 16076, "loopback port for the server")
	flag.Parse()
	if err := run(*server, *n, *port); err != nil {
		log.Fatal(err)
	}
}

func run(server string, n, port int) error {
	work, err := os.MkdirTemp("", "crmbridge-hostile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if server == "" {
		server = filepath.Join(work, "server")
		build := exec.Command("go", "build", "-o", server, "./examples/server")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the server: %w", err)
		}
	}
	cmd := exec.Command(server)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "APP_HOST=127.0.0.1", "LOG_LEVEL=error",
		"DATABASE_URL="+filepath.Join(work, "data", "crmbridge.db"))
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pid := cmd.Process.Pid
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitAlive(base); err != nil {
		return err
	}
	jwt, err := login(base)
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	ordinary := "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212&overridingFormat=***-***-****"
	if st, _ := send(addr, ordinary); st != 200 {
		return fmt.Errorf("ordinary lookup answered %d", st)
	}
	fmt.Printf("server pid %d, RSS at start %.1f MB\n", pid, rssMB(pid, "VmRSS"))

	phases := []struct {
		name string
		path func() string
	}{
		{"phoneNumber of 1 MB", func() string {
			return "/contact?jwtToken=" + jwt + "&phoneNumber=+1" + digits(1<<20)
		}},
		{"phoneNumber of 60 KB", func() string {
			return "/contact?jwtToken=" + jwt + "&phoneNumber=+1" + digits(60<<10)
		}},
		{"overridingFormat 16 x 64 B", func() string {
			return "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212&overridingFormat=" + formats(16, 64)
		}},
		{"overridingFormat 160 x 64 B", func() string {
			return "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212&overridingFormat=" + formats(160, 64)
		}},
		{"overridingFormat 60 KB", func() string {
			return "/contact?jwtToken=" + jwt + "&phoneNumber=+16505551212&overridingFormat=" + formats(3000, 20)
		}},
	}
	worstAll := time.Duration(0)
	for _, ph := range phases {
		cpu := make([]time.Duration, 0, n)
		statuses := map[int]int{}
		for range n {
			path := ph.path() // built before the measurement starts
			before, err := cpuTime(pid)
			if err != nil {
				return err
			}
			st, err := send(addr, path)
			if err != nil {
				st = -1
			}
			after, err := cpuTime(pid)
			if err != nil {
				return err
			}
			statuses[st]++
			cpu = append(cpu, after-before)
		}
		slices.Sort(cpu)
		var sum time.Duration
		for _, c := range cpu {
			sum += c
		}
		worst := cpu[len(cpu)-1]
		worstAll = max(worstAll, worst)
		over := len(cpu) - sort.Search(len(cpu), func(i int) bool { return cpu[i] >= 10*time.Millisecond })
		fmt.Printf("%-28s statuses %v; server CPU per request: worst %.2f ms, p99 %.2f ms, mean %.3f ms, %d over 10 ms; RSS %.1f MB\n",
			ph.name, statuses, ms(worst), ms(cpu[len(cpu)*99/100]), ms(sum/time.Duration(len(cpu))), over, rssMB(pid, "VmRSS"))
	}
	if st, _ := send(addr, ordinary); st != 200 {
		return fmt.Errorf("ordinary lookup after the run answered %d", st)
	}
	hwm, rss := rssMB(pid, "VmHWM"), rssMB(pid, "VmRSS")
	fmt.Printf("after %d requests: RSS %.1f MB, peak RSS %.1f MB (goal < 64 MB); worst request %.2f ms of CPU (goal < 10 ms)\n",
		len(phases)*n, rss, hwm, ms(worstAll))
	if hwm >= 64 || worstAll >= 10*time.Millisecond {
		return errors.New("goal missed")
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// send writes one GET over a fresh connection (the server closes it after
// refusing an oversized request) and returns the status.
func send(addr, path string) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n"
	go io.WriteString(conn, req) // the server may answer before reading it all
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, nil
}

// cpuTime is the CPU time of every thread of pid so far.
func cpuTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(tasks) == 0 {
		return 0, fmt.Errorf("reading the server's threads: %v", err)
	}
	var total int64
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that just ended
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		total += ns
	}
	return time.Duration(total), nil
}

func rssMB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			kb, _ := strconv.ParseFloat(strings.Fields(line)[1], 64)
			return kb / 1024
		}
	}
	return -1
}

func waitAlive(base string) error {
	for range 200 {
		if res, err := http.Get(base + "/isAlive"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the server did not start")
}

func login(base string) (string, error) {
	res, err := http.Post(base+"/apiKeyLogin", "application/json",
		strings.NewReader(`{"platform":"testcrm","apiKey":"hostile-bench-key"}`))
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var out struct {
		JWTToken string `json:"jwtToken"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.JWTToken == "" {
		return "", fmt.Errorf("login failed: %d %v", res.StatusCode, err)
	}
	return out.JWTToken, nil
}

// digits returns n random decimal digits.
func digits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// formats returns count distinct patterns of size bytes each: a random
// numeric prefix and placeholders, comma-separated, nothing to encode.
func formats(count, size int) string {
	ps := make([]string, count)
	for i := range ps {
		r, _ := rand.Int(rand.Reader, big.NewInt(1<<40))
		p := r.String() + "-"
		ps[i] = p + strings.Repeat("*", size-len(p))
	}
	return strings.Join(ps, ",")
}
