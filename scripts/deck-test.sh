#!/usr/bin/env bash
# The decks `cjm render -o deck.pptx` writes, opened by other programs:
# python-pptx (PyPI, pinned, in a cached virtualenv) reads each deck and
# its slide titles in order, and LibreOffice (Debian's, installed by
# scripts/test.sh) converts it to a PDF with one page a slide. The pages go
# to e2e/screenshots/deck-*.png, to look at. Prints one `deck … ok` or
# `deck … FAILED` line a check, which scripts/test.sh counts.
# Usage: CJM_BIN=path/to/cjm bash scripts/deck-test.sh
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin=${CJM_BIN:?set CJM_BIN to the cjm binary}
venv=${DECK_VENV:-$HOME/.cache/cjm-deck-venv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pptx' 2>/dev/null; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q python-pptx==1.0.2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shots=e2e/screenshots
mkdir -p "$shots"

# check NAME SLIDES -- RENDER-ARGS...: renders, reads, converts, looks.
check() {
  local name=$1 slides=$2
  shift 2
  local deck="$work/$name.pptx" titles=()
  while [ "$1" != "--" ]; do titles+=("$1"); shift; done
  shift
  if ! "$bin" render "$@" -o "$deck" 2>"$work/err"; then
    echo "deck $name FAILED: cjm render: $(cat "$work/err")"; return
  fi
  if ! out=$("$venv/bin/python" scripts/deck-check.py "$deck" "${titles[@]}" 2>&1); then
    echo "deck $name FAILED: python-pptx: $out"; return
  fi
  # LibreOffice in the foreground with a profile of its own; it exits when
  # the conversion is done (timeout stops it if it hangs).
  if ! timeout 180 soffice -env:UserInstallation="file://$work/lo-profile" --headless \
      --convert-to pdf --outdir "$work" "$deck" >"$work/lo.log" 2>&1; then
    echo "deck $name FAILED: LibreOffice: $(tail -3 "$work/lo.log")"; return
  fi
  local pages
  pages=$(pdfinfo "$work/$name.pdf" 2>/dev/null | awk '/^Pages:/ {print $2}')
  if [ "$pages" != "$slides" ]; then
    echo "deck $name FAILED: LibreOffice made ${pages:-no} pages of $slides slides"; return
  fi
  pdftoppm -r 40 -png "$work/$name.pdf" "$shots/deck-$name"
  echo "deck $name: python-pptx read ${#titles[@]} slides, LibreOffice made $pages pages ok"
}

check ecommerce 9 "Buy a laptop online" "The whole journey" "Stage 1 of 5: Discover" "Stage 2 of 5: Compare" \
  "Stage 3 of 5: Buy" "Stage 4 of 5: Delivery" "Stage 5 of 5: Use" "Personas" "Opportunities, by impact and effort" \
  -- crates/cjm-model/templates/ecommerce.cjm
check multi-script 7 "多言語の旅 · رحلة العميل · Путь клиента 🚀" "The whole journey" "Stage 1 of 3: 発見 Discover" \
  "Stage 2 of 3: مقارنة Compare" "Stage 3 of 3: खरीदें Buy" "Personas" "Opportunities, by impact and effort" \
  -- testdata/multi-script.cjm
sed 's/state current/state future/; 0,/: 1: Dana/s//: 3: Dana/' crates/cjm-model/templates/support.cjm >"$work/future.cjm"
check compare 5 "$(sed -n 's/^  title //p' crates/cjm-model/templates/support.cjm)" "What changes" \
  "support.cjm: the whole journey" "future.cjm: the whole journey" "Opportunities, by impact and effort" \
  -- crates/cjm-model/templates/support.cjm --compare "$work/future.cjm"
