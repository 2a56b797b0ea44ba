#!/usr/bin/env bash
# `make docs`: the DocC documentation of the library products Offload, OffloadWorker and
# OffloadHTTP, built with the swift-docc-plugin. Any DocC warning fails the run.
#
# It builds in a scratch folder of its own (.build-docs), so it never waits for or
# invalidates the main build in .build. Each archive lands in .build-docs/docs/<Target>.doccarchive;
# open one with `docc preview` or serve it from any static web server.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=.build-docs
output="$scratch/docs"
targets=(Offload OffloadWorker OffloadHTTP)
mkdir -p "$output"

failed=()
total=0
for target in "${targets[@]}"; do
  log="$scratch/docs-$target.log"
  status=0
  swift package --scratch-path "$scratch" --disable-sandbox --allow-writing-to-directory "$output" \
    generate-documentation --target "$target" --output-path "$output/$target.doccarchive" --warnings-as-errors \
    2>&1 | tee "$log" || status=$?
  # Only DocC's own diagnostics count: they come after "Building documentation for ...", once
  # the compiler (whose warnings belong to `swift build`) is done. With --warnings-as-errors
  # DocC reports each warning as an error.
  count=$(awk '/^Building documentation for /{docc=1; next}
               docc && /(warning|error): / && !/invocation failed with a nonzero exit code/ {n++}
               END {print n+0}' "$log")
  total=$((total + count))
  if [ "$status" -ne 0 ] || [ "$count" -ne 0 ]; then failed+=("$target ($count)"); fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "docs: FAILED, $total DocC warning(s): ${failed[*]}; logs in $scratch/docs-<Target>.log" >&2
  exit 1
fi
echo "docs: ${targets[*]} built with 0 warnings into $output"
