#!/usr/bin/env bash
# bench/run.sh [seconds]: measure, in one run on loopback with a redis-server
# of its own, this app's page (a new and an existing session) and its
# /api/session against the tutorial's Express app (testdata/express) and a
# floor (bench/floor: net/http + go-redis doing the same Redis work with a
# one-line body). Each target runs alone, after a warm-up, under wrk. It
# prints req/s, p50/p99 latency, CPU µs per request of the server process,
# Redis commands per request, the server's peak RSS, and the ratios.
#
# Env: ROUNDS (default 3), WARMUP (s, default 2), CONNECTIONS (default 32),
# THREADS (default 1). Every round measures every target once, in turn.
# Ratios mean more than absolute numbers: this machine's speed varies by 10%
# and more between runs, and by up to 20% within one; the script says when
# it looked too busy to count.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin" GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
duration=${1:-8}
warmup=${WARMUP:-2}
conns=${CONNECTIONS:-32}
threads=${THREADS:-1}
rounds=${ROUNDS:-3}

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
# machine busy with other work; the best of three, since the first run of
# a program after other work is slower on its own.
calibrate() {
  local t0 t1 best=""
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    awk 'BEGIN { for (i = 0; i < 3000000; i++) s += i * i }'
    t1=$(date +%s%N)
    t1=$(((t1 - t0) / 1000000))
    if [ -z "$best" ] || [ "$t1" -lt "$best" ]; then best=$t1; fi
  done
  echo "$best"
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

# measure key pidfile url cookie round: one wrk run of a target (after a
# warm-up in the first round), its figures kept under key and round.
declare -A rps cpu cmds p50 p99 rss errs
measure() {
  local key=$1 pid url=$3 cookie=$4 round=$5
  pid=$(cat "$tmp/$2.pid")
  local header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  [ "$round" = 1 ] && wrk -t"$threads" -c"$conns" -d"${warmup}s" "${header[@]}" "$url" >/dev/null
  local t0 c0 out t1 c1 reqs
  t0=$(cpu_ticks "$pid"); c0=$(commands)
  out=$(wrk -t"$threads" -c"$conns" -d"${duration}s" --latency "${header[@]}" "$url")
  t1=$(cpu_ticks "$pid"); c1=$(commands)
  reqs=$(awk '/requests in/ {print $1 + 0}' <<<"$out")
  if [ "${reqs:-0}" = 0 ]; then # a target that answered nothing: say so, and count it as 0
    echo "bench: $key answered no request in round $round" >&2
    reqs=1
  fi
  rps[$key,$round]=$(awk '/^Requests\/sec/ {print $2 + 0}' <<<"$out")
  p50[$key,$round]=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99[$key,$round]=$(awk '$1 == "99%" {print $2}' <<<"$out")
  cpu[$key,$round]=$(calc "($t1 - $t0) * 1000000 / $hz / $reqs")
  cmds[$key,$round]=$(calc "($c1 - $c0) / $reqs")
  rss[$key,$round]=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
  errs[$key,$round]=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
}

# The targets: key, label, process, URL, and "existing" for a visit with
# the cookie of a session made just before (else none). Each round measures
# every target once, in this order, so that a machine that slows down or
# speeds up during the run moves all of them, and the ratios of a round
# compare figures taken a few seconds apart.
app="http://127.0.0.1:$app_port"
floor="http://127.0.0.1:$floor_port"
targets=(
  "page_new|app page, new session|app|$app/|"
  "page_old|app page, existing session|app|$app/|existing"
  "api|app /api/session|app|$app/api/session|existing"
  "floor_new|floor, new session|floor|$floor/|"
  "floor_old|floor, existing session|floor|$floor/|existing"
)
if [ -n "$express_port" ]; then
  express="http://127.0.0.1:$express_port"
  targets+=(
    "express_new|Express, new session|express|$express/|"
    "express_old|Express, existing session|express|$express/|existing"
  )
fi
for round in $(seq "$rounds"); do
  echo "bench: round $round of $rounds"
  for t in "${targets[@]}"; do
    IFS='|' read -r key _ proc url cookie <<<"$t"
    # A session of its own each round: the floor's GET does not renew its
    # key, which would expire two minutes in and turn the later rounds of
    # "existing session" into new sessions.
    [ "$cookie" = existing ] && cookie=$(cookie_of "$url")
    measure "$key" "$proc" "$url" "$cookie" "$round"
  done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {printf "%.4f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
of_rounds() { # array key: the values of every round
  local -n a=$1
  local r
  for r in $(seq "$rounds"); do printf '%s ' "${a[$2,$r]}"; done
}
after_ms=$(calibrate)
echo
echo "bench: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $rounds round(s) of wrk -t$threads -c$conns -d${duration}s per target after ${warmup}s warm-up, $(go env GOVERSION), $(redis-server --version | awk '{print $3}')"
echo "medians over the rounds (p50 and p99 of the median round; RSS: the peak):"
printf '%-28s %10s %9s %9s %9s %7s %8s\n' target req/s p50 p99 "CPU µs" "cmd/req" "RSS MB"
for t in "${targets[@]}"; do
  IFS='|' read -r key label _ <<<"$t"
  m=$(of_rounds rps "$key" | median)
  # the round whose req/s is closest to the median gives the latencies
  best=1
  for r in $(seq "$rounds"); do
    if awk "BEGIN { exit !(($m - ${rps[$key,$r]})^2 < ($m - ${rps[$key,$best]})^2) }"; then best=$r; fi
  done
  peak=$(of_rounds rss "$key" | tr ' ' '\n' | sort -g | tail -1)
  printf '%-28s %10.2f %9s %9s %9.0f %7.2f %8.1f %s\n' "$label" "$m" "${p50[$key,$best]}" "${p99[$key,$best]}" \
    "$(of_rounds cpu "$key" | median)" "$(of_rounds cmds "$key" | median)" "$(calc "$peak / 1024")" "${errs[$key,$best]}"
done
# ratio a b: the ratio of req/s in each round, and their median.
ratio() {
  local r list=""
  # a round where the baseline answered nothing has no ratio
  for r in $(seq "$rounds"); do list+="$(awk "BEGIN { b = ${rps[$2,$r]}; if (b > 0) printf \"%.2f\", ${rps[$1,$r]} / b; else printf \"n/a\" }") "; done
  list=${list% }
  if ! grep -q '[0-9]' <<<"$list"; then
    printf 'n/a (rounds: %s)' "$list"
    return
  fi
  printf '%s (rounds: %s)' "$(awk "BEGIN { printf \"%.2f\", $(tr ' ' '\n' <<<"$list" | grep -v n/a | tr '\n' ' ' | median) }")" "$list"
}
echo
echo "ratios of req/s, median of the rounds (higher is better for the app):"
if [ -n "$express_port" ]; then
  echo "  page, new session / Express, new session:           $(ratio page_new express_new)"
  echo "  page, existing session / Express, existing session: $(ratio page_old express_old)"
fi
echo "  page, new session / floor, new session:             $(ratio page_new floor_new)"
echo "  page, existing session / floor, existing session:   $(ratio page_old floor_old)"
echo "  /api/session / floor, existing session:             $(ratio api floor_old)"
drift=$(awk "BEGIN { printf \"%d\", ($after_ms - $before_ms) * 100 / $before_ms }")
echo "calibration loop: ${before_ms} ms before, ${after_ms} ms after (${drift}%); load average before: $load_before"
if [ "${drift#-}" -gt 15 ] || awk "BEGIN { exit !($load_before > 1.0) }"; then
  echo "bench: WARNING: the machine was busy (calibration drifted or load was high): do not trust these numbers"
fi
