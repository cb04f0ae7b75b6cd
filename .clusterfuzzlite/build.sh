#!/bin/bash -eu
# Build every fuzz target with the service's sanitizer flags and ship each with its seed
# corpus (corpus/TARGET) and options. The service then runs the targets unchanged.
cd "$SRC/verraft"
cargo fuzz build -O --fuzz-dir fuzz
# `schedule` is built as fuzz/run-schedule builds it: without comparison tracing and with
# only the Raft code (verraft-core and verraft-kv) in the coverage map, in its own target
# directory.
RUSTC_WRAPPER="$PWD/fuzz/coverage-scope" cargo fuzz build -O --fuzz-dir fuzz \
  --no-trace-compares --target-dir fuzz/target/schedule schedule
for target in schedule lincheck scenario; do
  release=fuzz/target/x86_64-unknown-linux-gnu/release
  if [ "$target" = schedule ]; then
    release=fuzz/target/schedule/x86_64-unknown-linux-gnu/release
  fi
  cp "$release/$target" "$OUT/"
  if ls corpus/"$target"/* >/dev/null 2>&1; then
    zip -q -j "$OUT/${target}_seed_corpus.zip" corpus/"$target"/*
  fi
done
# A schedule is a few configuration bytes and one byte per event, at most 256 events.
printf '[libfuzzer]\nmax_len = 300\n' > "$OUT/schedule.options"
