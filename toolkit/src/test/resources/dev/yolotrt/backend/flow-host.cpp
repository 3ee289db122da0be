// flow.cu's kernels run on the host, one thread after another, for FlowOnHostTest: the CUDA intrinsics it uses become
// plain IEEE float and double operations, each rounded on its own (compiled with -ffp-contract=off and volatile results,
// so that nothing is fused or kept wider), which is what they are on the GPU.
//   flow-host IN OUT: IN holds records of (cols, rows, n as int32 LE; the previous and next grey frames, cols*rows bytes
//   each; n points as float x, y); OUT gets, per record, n points as float x, y and then n status bytes.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

struct Dim3 { unsigned x, y, z; };
static Dim3 blockIdx, blockDim = {1, 1, 1}, threadIdx = {0, 0, 0};
#define __global__
#define __device__
static inline float __fadd_rn(float a, float b) { volatile float r = a + b; return r; }
static inline float __fsub_rn(float a, float b) { volatile float r = a - b; return r; }
static inline float __fmul_rn(float a, float b) { volatile float r = a * b; return r; }
static inline float __fdiv_rn(float a, float b) { volatile float r = a / b; return r; }
static inline float __fsqrt_rn(float a) { volatile float r = std::sqrt(a); return r; }
static inline double __dadd_rn(double a, double b) { volatile double r = a + b; return r; }
static inline double __dmul_rn(double a, double b) { volatile double r = a * b; return r; }
static inline int __float2int_rd(float v) { return (int) std::floor(v); }
static inline int __float2int_rn(float v) { return (int) std::nearbyint(v); }
static inline float __int2float_rn(int v) { return (float) v; }
#include "flow.cu"

// The grid of a launch, one block of one thread at a time.
template <typename F> static void grid(int w, int h, int z, F body) {
    for (int k = 0; k < z; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                blockIdx = {(unsigned) x, (unsigned) y, (unsigned) k};
                body();
            }
}

static long long pyramidBytes(int cols, int rows, int levels) {
    Level last = flow_level(cols, rows, levels - 1);
    long long w = last.cols + 2 * BORDER, h = last.rows + 2 * BORDER;
    return last.deriv + w * h * 4;
}

static void build(const unsigned char* grey, int cols, int rows, int levels, unsigned char* pyramid) {
    grid(cols + 2 * BORDER, rows + 2 * BORDER, 1, [&] { flow_level0(grey, cols, cols, rows, pyramid); });
    for (int level = 1; level < levels; level++) {
        Level l = flow_level(cols, rows, level);
        grid(l.cols + 2 * BORDER, l.rows + 2 * BORDER, 1, [&] { flow_down(pyramid, cols, rows, level); });
    }
    grid(cols + 2 * BORDER, rows + 2 * BORDER, levels, [&] { flow_deriv(pyramid, cols, rows); });
}

int main(int argc, char** argv) {
    if (argc != 4) { std::fprintf(stderr, "usage: flow-host IN OUT LEVELS\n"); return 2; }
    FILE* in = std::fopen(argv[1], "rb");
    FILE* out = std::fopen(argv[2], "wb");
    int levels = std::atoi(argv[3]);
    if (!in || !out) { std::perror("flow-host"); return 1; }
    int head[3];
    while (std::fread(head, sizeof(int), 3, in) == 3) {
        int cols = head[0], rows = head[1], n = head[2];
        std::vector<unsigned char> a((size_t) cols * rows), b((size_t) cols * rows), status(n);
        std::vector<float> points(2 * (size_t) n), moved(2 * (size_t) n);
        if (std::fread(a.data(), 1, a.size(), in) != a.size() || std::fread(b.data(), 1, b.size(), in) != b.size()
            || std::fread(points.data(), sizeof(float), points.size(), in) != points.size()) {
            std::fprintf(stderr, "flow-host: truncated input\n");
            return 1;
        }
        std::vector<unsigned char> pa(pyramidBytes(cols, rows, levels)), pb(pa.size());
        build(a.data(), cols, rows, levels, pa.data());
        build(b.data(), cols, rows, levels, pb.data());
        grid(n, 1, 1, [&] { flow_track(pa.data(), pb.data(), cols, rows, levels, points.data(), n, moved.data(), status.data()); });
        std::fwrite(moved.data(), sizeof(float), moved.size(), out);
        std::fwrite(status.data(), 1, status.size(), out);
    }
    std::fclose(out);
    return 0;
}
