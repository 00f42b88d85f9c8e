#!/usr/bin/env bash
# A deliberately wrong client for `ploke-sim check` tests: a curl loop that retries a 429
# after its own fixed 200 ms instead of the Retry-After the answer asked for. Otherwise it
# behaves: at most 3 attempts, no retry of a 4xx, a 10 s timeout, the key in its header.
set -u
url="${OPENAI_BASE_URL:?}/chat/completions"
for call in 1 2 3; do
  body="{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"call $call\"}]}"
  for attempt in 1 2 3; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H "Authorization: Bearer $OPENAI_API_KEY" \
      -H 'Content-Type: application/json' -d "$body" "$url")
    echo "call $call attempt $attempt: $code"
    [[ "$code" == 429 || "$code" == 5* || "$code" == 000 ]] || break
    sleep 0.2   # the bug: Retry-After ignored
  done
done
