#!/bin/sh
# The Dagster daemon as an always-on Serverless Container (min and max scale 1).
# Serverless Containers probe an HTTP port, which the daemon does not have: a static endpoint
# answers on $PORT next to it, and the container exits (and is restarted) when either stops.
set -eu

health_dir=$(mktemp -d)
echo ok > "$health_dir/index.html"
python -m http.server "${PORT:-8080}" --bind 0.0.0.0 --directory "$health_dir" >/dev/null 2>&1 &
health=$!

dagster-daemon run -w workspace.yaml &
daemon=$!

trap 'kill -TERM "$daemon" "$health" 2>/dev/null || true' TERM INT

while kill -0 "$daemon" 2>/dev/null && kill -0 "$health" 2>/dev/null; do
  sleep 5
done
kill -TERM "$daemon" "$health" 2>/dev/null || true
wait
exit 1
