// Command econdip-probe is the container healthcheck of the econdip image,
// which has no shell and no curl: it GETs each URL given and exits 0 when
// every one answered 2xx within the timeout, 1 otherwise (saying why).
//
//	econdip-probe http://127.0.0.1:8081/readyz
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: econdip-probe URL...")
		os.Exit(2)
	}
	if err := probe(os.Args[1:], 3*time.Second); err != nil {
		fmt.Fprintln(os.Stderr, "econdip-probe:", err)
		os.Exit(1)
	}
}

func probe(urls []string, timeout time.Duration) error {
	for _, u := range urls {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			cancel()
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("%s answered %s", u, resp.Status)
		}
	}
	return nil
}
