// flow.cu's corner kernels run on the host, one thread after another, for FlowOnHostTest (cuda-host.h: the CUDA
// intrinsics as the same IEEE operations, each rounded on its own, as they are on the GPU).
//   corners-host IN OUT: IN holds records of (cols, rows as int32 LE; a grey frame, cols*rows bytes); OUT gets, per
//   record, the candidate count as int32, the candidates' keys as uint64 (in the kernel's order) and the eigenvalues
//   (cols*rows floats).
#include <cstdio>
#include <cstdlib>
#include <vector>
#include "cuda-host.h"
#include "flow.cu"

int main(int argc, char** argv) {
    if (argc != 3) { std::fprintf(stderr, "usage: corners-host IN OUT\n"); return 2; }
    FILE* in = std::fopen(argv[1], "rb");
    FILE* out = std::fopen(argv[2], "wb");
    if (!in || !out) { std::perror("corners-host"); return 1; }
    int head[2];
    while (std::fread(head, sizeof(int), 2, in) == 2) {
        int cols = head[0], rows = head[1];
        size_t pixels = (size_t) cols * rows;
        // Rows 3 bytes longer than the image, as a frame's rows may be: the kernels must step by `step`.
        int step = cols + 3;
        std::vector<unsigned char> grey((size_t) step * rows);
        for (int y = 0; y < rows; y++)
            if (std::fread(grey.data() + (size_t) y * step, 1, cols, in) != (size_t) cols) { std::fprintf(stderr, "corners-host: truncated input\n"); return 1; }
        std::vector<float> cov(3 * pixels), eig(pixels);
        std::vector<unsigned long long> keys(pixels);
        int counts[2] = {0, 0};
        grid(cols, rows, 1, [&] { corners_cov(grey.data(), step, cols, rows, cov.data()); });
        grid(cols, 1, 1, [&] { corners_eig(cov.data(), cols, rows, eig.data(), &counts[0]); });
        grid(cols, rows, 1, [&] { corners_pick(eig.data(), cols, rows, &counts[0], keys.data(), &counts[1]); });
        std::fwrite(&counts[1], sizeof(int), 1, out);
        std::fwrite(keys.data(), sizeof(unsigned long long), counts[1], out);
        std::fwrite(eig.data(), sizeof(float), pixels, out);
    }
    std::fclose(out);
    return 0;
}
