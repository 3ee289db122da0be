#!/usr/bin/env bash
# Packs what a slim GPU machine's JRE lacks to draw charts (the notebooks' JFreeChart text): HarfBuzz, FreeType and their
# libraries from this Debian machine, DejaVu Sans and a fontconfig file. Annotated images need none of it (OpenCV text).
#
#   scripts/gpu-fonts.sh DIR        # then: bash ../shared/device/trt-stage.sh DIR fonts   (unpacks to /opt/fonts)
#   on the device: export LD_LIBRARY_PATH=/opt/fonts/lib:$LD_LIBRARY_PATH FONTCONFIG_FILE=/opt/fonts/fonts.conf
set -euo pipefail
dir=${1:?usage: scripts/gpu-fonts.sh DIR}
mkdir -p "$dir/lib" "$dir/fonts"
jre=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
# The font manager's libraries that are not the JRE's own or the C/C++ runtime every machine has.
ldd "$jre/lib/libfontmanager.so" | awk '$3 ~ /^\// {print $3}' | grep -v -e "$jre" -e '/libc\.so' -e '/libm\.so' -e '/libstdc++' -e '/libgcc_s' \
  | while read -r lib; do cp -L "$lib" "$dir/lib/"; done
for lib in libfontconfig.so.1 libexpat.so.1 libbz2.so.1.0; do
  p=$(ldconfig -p | awk -v l="$lib" '$1 == l && /x86-64/ {print $NF; exit}'); [ -n "$p" ] && cp -L "$p" "$dir/lib/"
done
cp /usr/share/fonts/truetype/dejavu/DejaVuSans*.ttf "$dir/fonts/"
cat > "$dir/fonts.conf" <<CONF
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>/opt/fonts/fonts</dir><cachedir>/tmp/fontconfig-cache</cachedir></fontconfig>
CONF
ls "$dir/lib" "$dir/fonts" | tr '\n' ' '; echo
