#!/usr/bin/env bash
# The translation fuzzer (issue #15): 10,000 seeded mutations of the status-corpus inputs run
# through the translator in one JVM (standalone/src/test/java/io/eg4j/standalone/fuzz/Fuzz.java,
# compiled by `./mvnw install`), then every distinct static Envoy config it produced goes through
# `envoy --mode validate` (.ci/fuzz-validate.py, batched). Fails when an exception escapes
# translation or Envoy rejects a config; rejections whose status does not name the mutated field
# are printed as figures and listed in OUT/unnamed.txt.
#
#   .ci/fuzz.sh CASES_DIR [OUT_DIR] [--mutations N] [--seed S]
set -euo pipefail
cd "$(dirname "$0")/.."
cases="$1"; shift
out=target/fuzz
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then out="$1"; shift; fi
rm -rf "$out"
mkdir -p "$out"
./eg4j help >/dev/null  # rebuilds the launcher jar and classpath.txt when a source is newer
target=standalone/target
[ -d "$target/test-classes/io/eg4j/standalone/fuzz" ] || ./mvnw -B -q -o test-compile -pl standalone
cp="$target/test-classes:$target/eg4j-standalone-0.1.0-SNAPSHOT.jar:$(cat "$target/classpath.txt")"
java -Xmx2g -cp "$cp" io.eg4j.standalone.fuzz.Fuzz "$cases" "$out" "$@"
validate=0
python3 .ci/fuzz-validate.py "$out" || validate=$?
exceptions=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exceptions"])' "$out/summary.json")
if [ "$exceptions" -ne 0 ] || [ "$validate" -ne 0 ]; then
  echo "fuzz: FAILED ($exceptions exceptions escaped translation; envoy validation exit $validate)"
  exit 1
fi
echo "fuzz: passed (no exception escaped translation; Envoy accepted every config but those of cases it rejects unmutated)"
