#!/usr/bin/env bash
# Time-boxed coverage-guided fuzzing (Jazzer) of every parser that reads input from outside: the DogStatsD grammar,
# the task metadata and its stats, the configuration loader, the tracers' payloads, the APM obfuscators, users' Go
# regular expressions and the log processing chain. Each target runs for FUZZ_SECONDS (default 20) in its own JVM
# (Jazzer fuzzes one test per run).
#
#   scripts/fuzz.sh                 every target
#   FUZZ_SECONDS=300 scripts/fuzz.sh TaskMetadataParserFuzzTest#task
#
# A crash (an exception the parser's contract does not allow, a hang, an assertion) fails the run, and Jazzer writes
# the input next to the test's seeds (src/test/resources/<package>/<Test>Inputs/<method>/crash-*): keep it there, it
# is replayed by every `mvn test` from then on, and fix the bug. The corpus a run grows stays in .cifuzz-corpus/
# (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA_HOME="${JAVA_HOME:-$(scripts/find-java.sh)}"
export JAVA_HOME
seconds="${FUZZ_SECONDS:-20}"

targets=(
  "collectors/dogstatsd DogStatsdParserFuzzTest#packets"
  "runtime/core TaskMetadataParserFuzzTest#task"
  "runtime/core TaskMetadataParserFuzzTest#container"
  "runtime/core ConfigLoaderFuzzTest#keyValueLines"
  "collectors/container-stats StatsFuzzTest#taskStats"
  "collectors/apm TraceDecoderFuzzTest#v04"
  "collectors/apm TraceDecoderFuzzTest#v05"
  "collectors/apm ObfuscatorsFuzzTest#anyText"
  "collectors/apm StatsDecodersFuzzTest#clientStats"
  "runtime/processing GoRegexFuzzTest#patterns"
  "runtime/processing LogProcessorFuzzTest#lines"
  "collectors/fluent-forward ForwardFuzzTest#frames"
)
if [ "$#" -gt 0 ]; then
  selected=()
  for target in "${targets[@]}"; do
    for wanted in "$@"; do
      [ "${target#* }" = "$wanted" ] && selected+=("$target")
    done
  done
  [ "${#selected[@]}" -gt 0 ] || { echo "fuzz: no target named $*; known: ${targets[*]#* }" >&2; exit 2; }
  targets=("${selected[@]}")
fi

# The fuzzed modules take their upstream modules from the local repository: install them once, without tests.
./mvnw -B -ntp -q install -DskipTests -pl runtime/processing,collectors/dogstatsd,collectors/container-stats,collectors/apm,collectors/fluent-forward -am

passed=0
failed=0
for target in "${targets[@]}"; do
  module="${target%% *}"
  test="${target#* }"
  log="$module/target/fuzz-${test//#/-}.log"
  mkdir -p "$module/target"
  echo "fuzz: $test in $module for ${seconds}s (log: $log)"
  # JUnit's own @Timeout would cut the whole fuzzing run; Jazzer applies it to each input instead.
  if JAZZER_FUZZ=1 ./mvnw -B -ntp -pl "$module" test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
      "-DargLine=-Xmx1g -Djunit.jupiter.execution.timeout.mode=disabled -Djazzer.internal.arg.0=fuzz \
-Djazzer.internal.arg.1=-max_total_time=$seconds" >"$log" 2>&1; then
    passed=$((passed + 1))
    grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true
  else
    failed=$((failed + 1))
    tail -n 80 "$log" >&2
    echo "fuzz: $test failed; a crash input is kept under $module/src/test/resources (git status shows it)" >&2
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
