#!/usr/bin/env bash
# The exported symbols of libupres are exactly the functions declared in upres.h.
set -euo pipefail
header=$1
library=$2
declared=$(tr '\n' ' ' < "$header" | grep -oE 'UPRES_API[^;{]*\(' | grep -oE 'upres_[a-z0-9_]+[[:space:]]*\($' | tr -d '( ' | sort -u)
exported=$(nm -D --defined-only "$library" | awk '{print $3}' | sed 's/@.*//' | grep -v '^$' | sort -u)
status=0
extra=$(comm -13 <(echo "$declared") <(echo "$exported"))
missing=$(comm -23 <(echo "$declared") <(echo "$exported"))
if [[ -n $extra ]]; then echo "exported but not declared in upres.h:"; echo "$extra"; status=1; fi
if [[ -n $missing ]]; then echo "declared in upres.h but not exported:"; echo "$missing"; status=1; fi
n=$(echo "$declared" | wc -l)
if (( status == 0 )); then echo "symbols: $n upres_* functions declared and exported, nothing else"; fi
exit $status
