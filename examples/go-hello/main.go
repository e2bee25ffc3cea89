// Command go-hello is slipway's Go example app: a small HTTP server with one
// real dependency (chi), used by the end-to-end tests to check that a built
// image serves what its source says.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-chi/chi/v5"
)

// greeting is the body of GET /. Tests edit this line to check rebuilds.
const greeting = "Hello from slipway!\n"

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}

	r := chi.NewRouter()
	r.Get("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, greeting)
	})

	srv := &http.Server{Addr: ":" + port, Handler: r}

	// As PID 1 in a container nothing else stops us on SIGTERM: shut down
	// promptly so `podman stop` does not wait for its kill timeout.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()

	fmt.Printf("listening on %s\n", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
