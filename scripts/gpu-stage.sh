#!/usr/bin/env bash
# Prepares the carried folders of a GPU run (scripts/gpu-check.sh), from the project root:
#   .gpu/      the .NET runtime and lshk + the tests published for linux-x64 (../shared/gpu/stage.sh), trimmed of
#              what a GPU run never loads (ONNX Runtime's native libraries, Selenium's driver manager, foreign
#              symbols) so that the whole copy stays under the device tool's 64 MiB
#   .gpudata/  Omniglot's two zips (the GPU machine sees nothing beside the checkout)
# Both are git-ignored through .git/info/exclude. Then run, with carry [".gpu", ".gpudata"]:
#   <the prefix printed below> bash scripts/gpu-check.sh
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
rm -rf .gpu/dn .gpu/app   # unpacked by a local dry run: must not travel (64 MiB)
bash ../shared/gpu/stage.sh src/Cli tests/Lshk.Tests.csproj > /dev/null
unpacked=$(mktemp -d)
tar xJf .gpu/app.tar.xz -C "$unpacked"
rm -f "$unpacked"/app/libonnxruntime*.so "$unpacked"/app/onnxruntime*.dll "$unpacked"/app/selenium-manager
find "$unpacked/app" -name '*.pdb' ! -name 'Lshk.*' ! -name 'lshk.pdb' -delete
tar cf - -C "$unpacked" app | xz -T2 -9 > .gpu/app.tar.xz.tmp && mv .gpu/app.tar.xz.tmp .gpu/app.tar.xz
rm -rf "$unpacked"

grep -qx '/.gpudata/' .git/info/exclude || echo '/.gpudata/' >> .git/info/exclude
mkdir -p .gpudata/omniglot
cp -u ../shared/datasets/omniglot/images_background.zip ../shared/datasets/omniglot/images_evaluation.zip .gpudata/omniglot/
du -sh .gpu/* .gpudata; du -sc .gpu .gpudata | tail -1
echo "tracked files: $(git ls-files -z | du -cb --files0-from=- | tail -1 | cut -f1) bytes"
echo 'prefix: mkdir -p .gpu/dn && tar xJf .gpu/dotnet.tar.xz -C .gpu/dn && tar xJf .gpu/app.tar.xz -C .gpu && export DOTNET_ROOT=$PWD/.gpu/dn PATH=$PWD/.gpu/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 &&'
