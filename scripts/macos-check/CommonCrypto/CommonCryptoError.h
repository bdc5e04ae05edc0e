/* Declarations only, for `scripts/test`'s macOS cross-check (cargo-zigbuild
 * clippy): zig ships macOS libc headers but not Apple's CommonCrypto, which
 * mimalloc includes for its random bytes. A check compiles and never links,
 * so declarations are all it needs; real macOS builds use the SDK's. */
#pragma once
#include <stdint.h>
typedef int32_t CCStatus;
typedef int32_t CCCryptorStatus;
enum { kCCSuccess = 0 };
