#!/usr/bin/env bash
# Rebuilds the fonts cjm-render embeds, from Debian's fonts-inter package
# (Inter, SIL Open Font License 1.1), subset to the scripts a journey map
# usually needs: Latin, Greek, Cyrillic, punctuation, currency, arrows and
# the geometric shapes the renderer draws. Run it only to change the subset;
# its outputs are committed.
#   .otf   — measured by the layout, rendered by resvg (PNG) and svg2pdf (PDF)
#   .woff2 — embedded in SVG and HTML output, so browsers show the same font
# Then the fallback faces for every other script (scripts/fallback-fonts.py:
# Noto Sans Arabic, Hebrew, Devanagari, Thai and CJK, Twemoji's emoji).
# Needs: apt-get install fonts-inter fonts-noto-core fonts-noto-cjk;
#        pip install fonttools==4.69.1 brotli; npm (for twemoji-colr-font)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
src=${INTER_DIR:-/usr/share/fonts/opentype/inter}
out=crates/cjm-render/assets/fonts
mkdir -p "$out"
unicodes="U+0020-007E,U+00A0-024F,U+0370-03FF,U+0400-04FF,U+2000-206F,U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+2022,U+2026,U+25A0-25FF,U+2713,U+2605-2606"
for weight in Regular SemiBold; do
  for flavor in otf woff2; do
    args=()
    [ "$flavor" = woff2 ] && args=(--flavor=woff2)
    pyftsubset "$src/Inter-$weight.otf" --unicodes="$unicodes" --layout-features='kern,liga,calt,tnum' \
      --name-IDs='*' --output-file="$out/Inter-$weight.subset.$flavor" "${args[@]}"
  done
done
# The licence travels with the font.
printf 'SIL OPEN FONT LICENSE Version 1.1 - 26 February 2007\n\n' > "$out/OFL.txt"
sed -n '/^License: OFL-1.1$/,/^License: Apache/p' /usr/share/doc/fonts-inter/copyright \
  | sed '1d;$d' | sed 's/^ //; s/^\.$//' >> "$out/OFL.txt"
printf '\nCopyright 2016-2022 The Inter Project Authors (https://github.com/rsms/inter)\n' >> "$out/OFL.txt"
# Twemoji Mozilla, from npm, into a scratch folder.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack --silent twemoji-colr-font@15.0.3 >/dev/null && tar xzf twemoji-colr-font-15.0.3.tgz)
python3 scripts/fallback-fonts.py "$out/fallback" "$scratch/package/twemoji.woff2"
ls -l "$out" "$out/fallback"
