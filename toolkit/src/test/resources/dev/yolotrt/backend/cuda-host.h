// The CUDA built-ins the toolkit's kernels use, as plain host code, for running a .cu file's kernels on the host in a
// test (flow-host.cpp, corners-host.cpp): each float and double operation rounded on its own (compile with
// -ffp-contract=off; volatile results are never kept wider), a fused multiply-add only where the kernel asks for one,
// atomics as plain operations (one thread at a time), and a launch as a loop over the grid, one block of one thread.
#include <cmath>
#include <cstring>

struct Dim3 { unsigned x, y, z; };
static Dim3 blockIdx, blockDim = {1, 1, 1}, threadIdx = {0, 0, 0};
#define __global__
#define __device__
static inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }
static inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
static inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
static inline float __fdiv_rn(float a, float b) { volatile float r = a / b; return r; }
static inline float __fmaf_rn(float a, float b, float c) { volatile float r = std::fmaf(a, b, c); return r; }
static inline float __fsqrt_rn(float a) { volatile float r = std::sqrt(a); return r; }
static inline double __dadd_rn(double a, double b) { volatile double r = a + b; return r; }
static inline double __dsub_rn(double a, double b) { volatile double r = a - b; return r; }
static inline double __dmul_rn(double a, double b) { volatile double r = a * b; return r; }
static inline int __float2int_rd(float v) { return (int) std::floor(v); }
static inline int __float2int_rn(float v) { return (int) std::nearbyint(v); }
static inline float __int2float_rn(int v) { return (float) v; }
static inline int __float_as_int(float v) { int i; std::memcpy(&i, &v, 4); return i; }
static inline float __int_as_float(int i) { float v; std::memcpy(&v, &i, 4); return v; }
static inline int atomicMax(int* at, int v) { int old = *at; if (v > old) *at = v; return old; }
static inline int atomicAdd(int* at, int v) { int old = *at; *at += v; return old; }

// The grid of a launch, one block of one thread at a time.
template <typename F> static void grid(int w, int h, int z, F body) {
    for (int k = 0; k < z; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                blockIdx = {(unsigned) x, (unsigned) y, (unsigned) k};
                body();
            }
}
