#!/usr/bin/env bash
# bench/run.sh [seconds]: measure, in one run on loopback with a redis-server
# of its own, this app's page (a new and an existing session) and its
# /api/session against the tutorial's Express app (testdata/express) and a
# floor (bench/floor: net/http + go-redis doing the same Redis work with a
# one-line body). Each target runs alone, after a warm-up, under wrk. It
# prints req/s, p50/p99 latency, CPU µs per request of the server process,
# Redis commands per request, the server's peak RSS, and the ratios.
#
# Env: WARMUP (s, default 2), CONNECTIONS (default 32), THREADS (default 1).
# Ratios mean more than absolute numbers: this machine's speed varies by 10%
# and more between runs; the script says when it looked too busy to count.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
duration=${1:-8}
warmup=${WARMUP:-2}
conns=${CONNECTIONS:-32}
threads=${THREADS:-1}

need() { command -v "$1" >/dev/null || { echo "bench: $1 is missing: $2" >&2; exit 1; }; }
if ! command -v wrk >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
need wrk "apt-get install wrk"
need redis-server "apt-get install redis-server"
need redis-cli "apt-get install redis-server"
need curl "apt-get install curl"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_http() { for _ in $(seq 100); do curl -fs -o /dev/null "$1" && return 0; sleep 0.1; done; echo "bench: $1 never answered" >&2; exit 1; }

# A calibration: the time of a fixed CPU loop, before and after, to tell a
# machine busy with other work.
calibrate() {
  local t0 t1
  t0=$(date +%s%N)
  awk 'BEGIN { for (i = 0; i < 3000000; i++) s += i * i }'
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
calc() { awk "BEGIN { printf \"%.4f\", $1 }"; }
before_ms=$(calibrate)
load_before=$(cut -d' ' -f1 /proc/loadavg)

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" --daemonize no >/dev/null &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_url="redis://127.0.0.1:$redis_port"

echo "bench: building the app and the floor"
# As the Dockerfile builds the app that runs on a platform: static, stripped.
build() { CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$@"; }
build "$tmp/app" .
build "$tmp/floor" ./bench/floor

start_app() { # name port env...
  local name=$1 port=$2; shift 2
  env "$@" "$tmp/$name" >/dev/null 2>&1 &
  pids+=($!)
  echo $! >"$tmp/$name.pid"
}
app_port=$(free_port)
start_app app "$app_port" PORT="$app_port" REDIS_URL="$redis_url" SESSION_SECRET=bench-secret-0123456789abcdef0123456789 RATE_LIMIT_NEW_SESSIONS=0
floor_port=$(free_port)
start_app floor "$floor_port" PORT="$floor_port" REDIS_URL="$redis_url"
wait_http "http://127.0.0.1:$app_port/livez"
wait_http "http://127.0.0.1:$floor_port/"

express_port=""
if command -v node >/dev/null && [ -d testdata/express/node_modules ]; then
  express_port=$(free_port)
  PORT=$express_port REDIS_URL=$redis_url SECRETS=WANTEDSECRET node testdata/express/server.js >/dev/null 2>&1 &
  pids+=($!)
  echo $! >"$tmp/express.pid"
  wait_http "http://127.0.0.1:$express_port/"
else
  echo "bench: no Express baseline (needs node and: cd testdata/express && npm ci)"
fi

# cookie_of url: the session cookie a first visit gets, as a Cookie header.
cookie_of() { curl -s -c - -o /dev/null "$1" | awk '$6 == "web.engineer" {print "web.engineer=" $7}'; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
commands() { redis-cli -p "$redis_port" info stats | awk -F: '/^total_commands_processed:/ {print $2+0}'; }

# measure label pidfile url [cookie]: warm up, then one run; one result line.
results=()
measure() {
  local label=$1 pid url=$3 cookie=${4:-}
  pid=$(cat "$tmp/$2.pid")
  local header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  wrk -t"$threads" -c"$conns" -d"${warmup}s" "${header[@]}" "$url" >/dev/null
  local t0 c0 out
  t0=$(cpu_ticks "$pid"); c0=$(commands)
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency "${header[@]}" "$url")
  local t1 c1 reqs rps p50 p99 rss
  t1=$(cpu_ticks "$pid"); c1=$(commands)
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  local errors
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  results+=("$(printf '%-28s %10s %9s %9s %9.0f %7.2f %8.1f %s' "$label" "$rps" "$p50" "$p99" \
    "$(calc "($t1 - $t0) * 1000000 / $hz / $reqs")" "$(calc "($c1 - $c0) / $reqs")" \
    "$(calc "$rss / 1024")" "$errors")")
  eval "rps_${2}_$5=$rps"
}

app="http://127.0.0.1:$app_port"
measure "app page, new session" app "$app/" "" page_new
measure "app page, existing session" app "$app/" "$(cookie_of "$app/")" page_old
measure "app /api/session" app "$app/api/session" "$(cookie_of "$app/api/session")" api
measure "floor, new session" floor "http://127.0.0.1:$floor_port/" "" new
measure "floor, existing session" floor "http://127.0.0.1:$floor_port/" "$(cookie_of "http://127.0.0.1:$floor_port/")" old
if [ -n "$express_port" ]; then
  express="http://127.0.0.1:$express_port"
  measure "Express, new session" express "$express/" "" new
  measure "Express, existing session" express "$express/" "$(cookie_of "$express/")" old
fi

after_ms=$(calibrate)
echo
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, wrk -t$threads -c$conns -d${duration}s after ${warmup}s warm-up, $(go env GOVERSION), $(redis-server --version | awk '{print $3}')"
printf '%-28s %10s %9s %9s %9s %7s %8s\n' target req/s p50 p99 "CPU µs" "cmd/req" "RSS MB"
printf '%s\n' "${results[@]}"
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo
echo "ratios (higher is better for the app):"
if [ -n "$express_port" ]; then
  echo "  page, new session / Express, new session:           $(ratio "$rps_app_page_new" "$rps_express_new")"
  echo "  page, existing session / Express, existing session: $(ratio "$rps_app_page_old" "$rps_express_old")"
fi
echo "  page, new session / floor, new session:             $(ratio "$rps_app_page_new" "$rps_floor_new")"
echo "  page, existing session / floor, existing session:   $(ratio "$rps_app_page_old" "$rps_floor_old")"
echo "  /api/session / floor, existing session:             $(ratio "$rps_app_api" "$rps_floor_old")"
drift=$(awk "BEGIN { printf \"%d\", ($after_ms - $before_ms) * 100 / $before_ms }")
echo "calibration loop: ${before_ms} ms before, ${after_ms} ms after (${drift}%); load average before: $load_before"
if [ "${drift#-}" -gt 15 ] || awk "BEGIN { exit !($load_before > 1.0) }"; then
  echo "bench: WARNING: the machine was busy (calibration drifted or load was high): do not trust these numbers"
fi
