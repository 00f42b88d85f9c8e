# shellcheck shell=bash
# Shared shell helpers for bench/load.sh and bench/cold_start.sh (sourced, not run).
# Every process started through bench_spawn is recorded and stopped by bench_cleanup,
# which the caller installs as an EXIT trap.

BENCH_PIDS=()
BENCH_TMP=

bench_die() { echo "$(basename "$0"): $*" >&2; exit 1; }
bench_log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# bench_find_binary [BUILD_DIR] -> prints the path of ploke-sim.
bench_find_binary() {
  local repo=$1 dir=${2:-}
  if [[ -n $dir ]]; then
    [[ -x $dir/cli/ploke-sim ]] || bench_die "$dir/cli/ploke-sim not found (build it first)"
    echo "$(cd "$dir" && pwd)/cli/ploke-sim"
    return
  fi
  local c
  for c in "$repo"/build/cli/ploke-sim "$repo"/build-*/cli/ploke-sim; do
    [[ -x $c ]] && { echo "$c"; return; }
  done
  bench_die "no ploke-sim binary under $repo/build*/cli/ (pass BUILD_DIR)"
}

# bench_free_port -> a currently free loopback TCP port.
bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# bench_spawn LOGFILE CMD... -> starts CMD in the background (stdout+stderr to LOGFILE),
# records its pid; the pid is in $BENCH_LAST_PID.
bench_spawn() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench_stop PID -> SIGTERM, up to 10 s grace, then SIGKILL. Returns the exit status.
bench_stop() {
  local pid=$1 rc=0 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { kill -KILL "$pid" 2>/dev/null || true; }
  wait "$pid" 2>/dev/null || rc=$?
  local keep=() p
  for p in "${BENCH_PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
  BENCH_PIDS=("${keep[@]}")
  return "$rc"
}

bench_cleanup() {
  local rc=$? p
  for p in "${BENCH_PIDS[@]}"; do bench_stop "$p" || true; done
  [[ -n $BENCH_TMP && -d $BENCH_TMP ]] && rm -rf "$BENCH_TMP"
  exit "$rc"
}

# bench_wait_line FILE REGEX TIMEOUT_S -> prints the first capture group of the first
# line of FILE matching REGEX (waits up to TIMEOUT_S).
bench_wait_line() {
  local file=$1 re=$2 timeout=$3 line
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if [[ -f $file ]]; then
      while IFS= read -r line; do
        [[ $line =~ $re ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
      done <"$file"
    fi
    sleep 0.05
  done
  return 1
}

# bench_wait_http URL TIMEOUT_S [METHOD] -> waits until URL answers (any HTTP status).
bench_wait_http() {
  local url=$1 timeout=$2 method=${3:-GET}
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    curl -s -o /dev/null -X "$method" --max-time 2 "$url" && return 0
    sleep 0.1
  done
  return 1
}

bench_no_proxy() {
  unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy
  export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
}

# bench_cpu_ticks PID... -> utime+stime clock ticks (all threads) of each PID and of its
# direct children (nginx workers), summed. Divide by $(getconf CLK_TCK) for seconds.
bench_cpu_ticks() {
  local total=0 pid c
  for pid in "$@"; do
    for c in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      [[ -r /proc/$c/stat ]] || continue
      # fields after the ")" of comm: state is $1, utime $12, stime $13
      total=$((total + $(sed 's/.*) //' /proc/"$c"/stat | awk '{print $12 + $13}')))
    done
  done
  echo "$total"
}

# bench_chat_body FILE -> the small chat request the gateway benches post (8 output
# tokens), written to FILE and set as wrk's body (bench/lib/post.lua).
bench_chat_body() {
  python3 - >"$1" <<'PY'
import json
print(json.dumps({"model": "gpt-4o", "messages": [{"role": "system", "content": "You are terse."},
      {"role": "user", "content": "Give me a short status update."}], "max_tokens": 8},
      separators=(",", ":")), end="")
PY
  export WRK_METHOD=POST WRK_BODY_FILE=$1
}

# bench_redis_start DIR -> redis-server on the Unix socket DIR/redis.sock (no TCP, no
# persistence), spawned (BENCH_LAST_PID) and answering once this returns.
bench_redis_start() {
  local dir=$1 i
  command -v redis-server >/dev/null || bench_die "redis-server not found (scripts/install-deps.sh)"
  bench_spawn "$dir/redis.log" redis-server --port 0 --unixsocket "$dir/redis.sock" --save "" --appendonly no --dir "$dir"
  for ((i = 0; i < 100; i++)); do [[ -S $dir/redis.sock ]] && return 0; sleep 0.05; done
  cat "$dir/redis.log" >&2
  bench_die "redis-server did not start"
}

# Shared start of every bench script: stop what it started on exit or Ctrl-C, and keep
# loopback traffic off any proxy.
bench_init() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  bench_no_proxy
}

# bench_nginx_start DIR PORT HTTP_BODY: nginx with its prefix in DIR (conf, tmp, logs made
# here), listening through whatever server blocks HTTP_BODY holds (PORT is for the caller's
# text), after the shared http settings (keep-alive, no access log, temp paths under DIR).
# Checks the config, spawns it (BENCH_LAST_PID), and returns at once.
bench_nginx_start() {
  local dir=$1 body=$3 user_line=
  mkdir -p "$dir/conf" "$dir/tmp" "$dir/logs"
  [[ $EUID -eq 0 ]] && user_line="user nobody nogroup;"
  cat >"$dir/conf/nginx.conf" <<NGX
$user_line
worker_processes auto;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
$body
}
NGX
  nginx -t -p "$dir" -c "$dir/conf/nginx.conf" -e "$dir/logs/error.log" >"$dir/nginx-t.log" 2>&1 ||
    { cat "$dir/nginx-t.log" >&2; bench_die "nginx config test failed"; }
  bench_spawn "$dir/nginx.log" nginx -p "$dir" -c "$dir/conf/nginx.conf" -e "$dir/logs/error.log"
}
