#!/usr/bin/env bash
# Builds the Dockerfile's image and checks it: the container's gateway (--sim) answers
# /__admin/health and a chat completion on a loopback-published port, `--version` runs, and
# the container stops on SIGTERM (docker stop) with exit 0. Where `docker info` fails (no
# docker, or no daemon) it prints SKIP and exits 0: CI does not depend on docker.
# Usage: scripts/docker-test.sh [IMAGE_TAG]   (default ploke-sim:test)
set -euo pipefail
cd "$(dirname "$0")/.."
TAG="${1:-ploke-sim:test}"
if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  echo "docker-test: SKIP (docker is not available here)"; exit 0
fi
NAME="ploke-sim-test-$$"
trap 'docker rm -f "$NAME" >/dev/null 2>&1 || true' EXIT
DOCKER_BUILDKIT=1 docker build -f scripts/docker/Dockerfile -t "$TAG" .
docker run --rm "$TAG" --version | grep -qE '^ploke-sim [0-9]' || { echo "docker-test: FAIL: --version"; exit 1; }
docker run -d --name "$NAME" -p 127.0.0.1::4000 "$TAG" >/dev/null
PORT=$(docker port "$NAME" 4000/tcp | head -1 | sed 's/.*://')
URL="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$URL/__admin/health" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/__admin/health" >/dev/null || { docker logs "$NAME"; echo "docker-test: FAIL: no health answer"; exit 1; }
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' \
  -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' "$URL/v1/chat/completions")
[[ "$code" == 200 ]] || { docker logs "$NAME"; echo "docker-test: FAIL: chat answered $code"; exit 1; }
docker stop -t 20 "$NAME" >/dev/null
rc=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
[[ "$rc" == 0 ]] || { docker logs "$NAME"; echo "docker-test: FAIL: exit $rc after docker stop"; exit 1; }
echo "docker-test: ok ($TAG)"
