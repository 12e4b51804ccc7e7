#!/bin/sh
# Every row of docs/quality.md: `corpusbot eval beir` on SciFact train, one configuration a line.
# Usage: scripts/quality_runs.sh [BEIR folder] [output folder for JSON reports]
set -eu
DATA=${1:-../shared/eval-data/scifact}
OUT=${2:-/tmp/corpusbot-quality}
EVAL="${CORPUSBOT:-.venv/bin/corpusbot} eval beir $DATA --split train"
mkdir -p "$OUT"
# The bot's passages were 40–120 words when most rows were measured; they say so explicitly.
SHORT="--min-words 40 --max-words 120"
run() { name=$1; shift; echo "== $name: $*"; $EVAL "$@" --json "$OUT/$name.json" 2>/dev/null | tail -n +3; }
run baseline --baseline
run title0 $SHORT --title-weight 0
run title1 $SHORT --title-weight 1
run p40-120 $SHORT
run title3 $SHORT --title-weight 3
run k0.9-b0.4 $SHORT --k1 0.9 --b 0.4
run k1.5-b0.75 $SHORT --k1 1.5 --b 0.75
run k1.2-b0.9 $SHORT --k1 1.2 --b 0.9
run k2.0-b0.75 $SHORT --k1 2.0 --b 0.75
run rest0.2 $SHORT --rest-weight 0.2
run rest0.5 $SHORT --rest-weight 0.5
run default  # passages 80–250 words, the defaults since this table
run p100-300 --min-words 100 --max-words 300
run p100-300-rest0.2 --min-words 100 --max-words 300 --rest-weight 0.2
run p150-400 --min-words 150 --max-words 400
run whole --min-words 2000 --max-words 2000
run whole-title0 --min-words 2000 --max-words 2000 --title-weight 0
run whole-title1 --min-words 2000 --max-words 2000 --title-weight 1
run p150-400-title3 --min-words 150 --max-words 400 --title-weight 3
run rm3-3-5-0.2 $SHORT --rm3 3,5,0.2
run rm3-5-10-0.3 $SHORT --rm3 5,10,0.3
run p150-400-rm3-3-5-0.2 --min-words 150 --max-words 400 --rm3 3,5,0.2
run p150-400-rm3-10-20-0.3 --min-words 150 --max-words 400 --rm3 10,20,0.3
# Around the defaults (80–250-word passages).
run d-k0.9-b0.4 --k1 0.9 --b 0.4
run d-k0.9-b0.75 --k1 0.9 --b 0.75
run d-k1.2-b0.6 --k1 1.2 --b 0.6
run d-k1.2-b0.9 --k1 1.2 --b 0.9
run d-k1.5-b0.75 --k1 1.5 --b 0.75
run d-k1.5-b0.9 --k1 1.5 --b 0.9
run d-title1 --title-weight 1
run d-title3 --title-weight 3
run d-rest0.1 --rest-weight 0.1
run p100-300-rest0.1 --min-words 100 --max-words 300 --rest-weight 0.1
