#!/usr/bin/env bash
# A new user's first `npm install && npm run demo`, timed: a fresh clone of HEAD in a temporary
# directory, an empty cargo home (every crate downloaded) and npm cache, the target dir inside the
# clone. Prints the wall time of each step, the CPU-seconds of the whole run and, from sampling
# every rustc process each 2 s, the CPU-seconds of the 25 costliest crates (docs/build-time.md).
# Takes about as long as the build (~20 min on 2 cores). Usage: bench/cold-build.sh [WORKDIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d /tmp/s3db-ml-cold-XXXXXX)}"
mkdir -p "$work"
git clone -q "$repo" "$work/s3db-ml"
git -C "$work/s3db-ml" checkout -q "$(git -C "$repo" rev-parse HEAD)"

# The sampler: the crate name and CPU time of every rustc whose environment names this run's cargo home.
(
  set +e +o pipefail  # a rustc that ends between two reads must not end the sampler
  while [ ! -f "$work/done" ]; do
    now=$(date +%s)
    for pid in $(pgrep -x rustc || true); do
      grep -qa "CARGO_HOME=$work/cargo-home" "/proc/$pid/environ" 2>/dev/null || continue
      crate=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -o -- '--crate-name [^ ]*' | awk '{print $2}')
      cpu=$(awk '{print ($14+$15)/100}' "/proc/$pid/stat" 2>/dev/null || true)
      [ -n "$crate" ] && [ -n "$cpu" ] && echo "$now $pid $crate $cpu"
    done
    sleep 2
  done
) > "$work/samples.log" &

cd "$work/s3db-ml"
unset CARGO_TARGET_DIR S3DB_ML_PORTABLE RUSTC_WRAPPER
export CARGO_HOME="$work/cargo-home" npm_config_cache="$work/npm-cache"
export PATH="$HOME/.cargo/bin:$PATH"
begin=$(date +%s)
TIMEFORMAT='%R %U %S'
{ time npm install --no-audit --no-fund > "$work/npm-install.log" 2>&1; } 2> "$work/time-install"
installed=$(date +%s)
{ time npm run demo > "$work/demo.log" 2>&1; } 2> "$work/time-demo"
finished=$(date +%s)
touch "$work/done"
wait

read -r _ iu is < "$work/time-install"
read -r _ du ds < "$work/time-demo"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
echo "npm install:        $(( installed - begin )) s"
echo "npm run demo:       $(( finished - installed )) s ($(grep -o 'Finished .* in .*' "$work/demo.log" | sed 's/.* in //') of it cargo's build)"
echo "total wall:         $(( finished - begin )) s = $(( (finished - begin) / 60 )) min $(( (finished - begin) % 60 )) s"
echo "total CPU-seconds:  $(awk -v a="$iu" -v b="$is" -v c="$du" -v d="$ds" 'BEGIN { print a + b + c + d }')"
echo "costliest crates (CPU-s, sampled):"
awk '{ key = $3 " " $2; if ($4 > cpu[key]) cpu[key] = $4 } END { for (k in cpu) { split(k, a, " "); sum[a[1]] += cpu[k] } for (c in sum) printf "  %-28s %7.1f\n", c, sum[c] }' "$work/samples.log" | sort -k2 -rn | head -25
echo "logs and samples: $work"
