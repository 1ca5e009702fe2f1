// Command floor is the benchmark's floor: the least a Go server can do for
// the app's session page, written for this project. It reads the session
// cookie, GETs the key, and when there is none makes a fresh ID and SETs it
// with EX; then it answers one line. bench/run.sh measures the app against
// it (and against the tutorial's Express app) in one run.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
)

func main() {
	opts, err := redis.ParseURL(getenv("REDIS_URL", "redis://127.0.0.1:6379"))
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	prefix := getenv("PREFIX", "floor:")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 1500*time.Millisecond)
		defer cancel()
		if c, err := r.Cookie("web.engineer"); err == nil {
			if v, err := rdb.Get(ctx, prefix+c.Value).Result(); err == nil {
				fmt.Fprintf(w, "session %s: %s\n", c.Value, v)
				return
			}
		}
		b := make([]byte, 32)
		rand.Read(b)
		id := base64.RawURLEncoding.EncodeToString(b)
		if err := rdb.Set(ctx, prefix+id, `{"value":0.5}`, 120*time.Second).Err(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "web.engineer", Value: id, Path: "/", MaxAge: 120, HttpOnly: true})
		fmt.Fprintf(w, "new session %s\n", id)
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:"+getenv("PORT", "8090"), nil))
}

func getenv(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
