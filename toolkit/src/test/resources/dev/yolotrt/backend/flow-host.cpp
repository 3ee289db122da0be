// flow.cu's kernels run on the host, one thread after another, for FlowOnHostTest (cuda-host.h: the CUDA intrinsics as
// the same IEEE operations, each rounded on its own, as they are on the GPU).
//   flow-host IN OUT: IN holds records of (cols, rows, n as int32 LE; the previous and next grey frames, cols*rows bytes
//   each; n points as float x, y); OUT gets, per record, n points as float x, y and then n status bytes.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "cuda-host.h"
#include "flow.cu"

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
