/* Diagnostic only: Debian's FAISS 1.7.3 (python3-faiss) is built for baseline x86-64, so every
 * 64-bit popcount in its Hamming code is a call to libgcc's software __popcountdi2 through the
 * PLT. Preloading this library answers those calls with the POPCNT instruction instead, which
 * shows how much of FAISS's time is the missing instruction:
 *   gcc -O2 -mpopcnt -shared -fPIC -Wl,--version-script=popcnt_preload.map -o /tmp/popcnt_preload.so popcnt_preload.c
 *   LD_PRELOAD=/tmp/popcnt_preload.so /usr/bin/python3 bench/peers/hamming_vs_faiss.py ...
 * (The call through the PLT remains, so this is still slower than a FAISS built with -mpopcnt.) */
int __popcountdi2(unsigned long x) { return __builtin_popcountl(x); }
