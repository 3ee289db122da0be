// BoT-SORT's corners on the device: OpenCV's goodFeaturesToTrack as Ultralytics calls it (at most 1000 corners,
// quality 0.01, block 3, Sobel aperture 3, no Harris; minimum distance 0 picks the same corners as its 1, see Gmc) on a
// half-size grey frame. The minimum eigenvalue of each pixel's 3×3 gradient covariance, the largest of them, the pixels
// above 1 % of it that are the largest of their 3×3 neighbourhood; the host sorts those (strongest first, equal ones
// by the later pixel first, as OpenCV) and keeps the first 1000.
// The float arithmetic is OpenCV 4.10's on an x86 machine with AVX2 and FMA (what its dispatcher runs there): Sobel's
// smoothing taps as a fused multiply-add, everything else rounded on its own, the 3×3 sums of the covariance in
// double in OpenCV's order. Compiled to corners.ptx by scripts/ptx.sh; FlowOnHostTest runs these kernels on the
// host against OpenCV, DeviceFlowGpuTest on a GPU.

// OpenCV's BORDER_REFLECT_101 index for one step outside: -1 -> 1, n -> n - 2 (n = 1: 0).
__device__ int mirror1(int i, int n) {
    if (n == 1) return 0;
    return i < 0 ? -i : i >= n ? 2 * n - 2 - i : i;
}

// Sobel's scale for 8-bit images, aperture 3 and block 3: 1 / (2^(3-1) * 3 * 255), as a float kernel tap.
#define SCALE ((float) (1.0 / 3060.0))

// Per pixel: Sobel dx and dy (float, scaled, mirrored border) and their products dx², dx·dy, dy² into `cov`.
extern "C" __global__ void corners_cov(const unsigned char* grey, long long step, int cols, int rows, float* cov) {
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= cols || y >= rows) return;
    int l = mirror1(x - 1, cols), r = mirror1(x + 1, cols), u = mirror1(y - 1, rows), d = mirror1(y + 1, rows);
#define P(yy, xx) ((int) grey[(long long) (yy) * step + (xx)])
    const float s = SCALE, s2 = 2.f * SCALE;
    // dx: the row difference [-1 0 1] (exact), then the column smoothing [s 2s s].
    float du = (float) (P(u, r) - P(u, l)), dm = (float) (P(y, r) - P(y, l)), dd = (float) (P(d, r) - P(d, l));
    float dx = __fmaf_rn(__fadd_rn(du, dd), s, __fmul_rn(dm, s2));
    // dy: the row smoothing [s 2s s] tap by tap, left to right, each added in a fused multiply-add, then the column
    // difference [-1 0 1].
    float su = __fmaf_rn((float) P(u, r), s, __fmaf_rn((float) P(u, x), s2, __fmul_rn((float) P(u, l), s)));
    float sd = __fmaf_rn((float) P(d, r), s, __fmaf_rn((float) P(d, x), s2, __fmul_rn((float) P(d, l), s)));
    float dy = __fsub_rn(sd, su);
#undef P
    float* c = cov + 3 * ((long long) y * cols + x);
    c[0] = __fmul_rn(dx, dx);
    c[1] = __fmul_rn(dx, dy);
    c[2] = __fmul_rn(dy, dy);
}

// The covariance's three channels summed over one row's 3 pixels (mirrored border), in double as OpenCV's box filter
// sums them: ((left + centre) + right).
__device__ void row_sums(const float* cov, int cols, int y, int x, int l, int r, double* out) {
    const float* row = cov + 3 * (long long) y * cols;
    for (int k = 0; k < 3; k++) out[k] = __dadd_rn(__dadd_rn((double) row[3 * l + k], (double) row[3 * x + k]), (double) row[3 * r + k]);
}

// One thread per column, down the whole frame: the 3×3 sums of the covariance as OpenCV's unnormalised box filter makes
// them (row sums, then a running column sum in double that adds the row below and subtracts the row above, so that
// rounding carries down the column), the smaller eigenvalue of [a b; b c] / 2 into `eig`, and the column's largest
// positive eigenvalue into `top` (float bits as an int: positive floats order as their bits do).
extern "C" __global__ void corners_eig(const float* cov, int cols, int rows, float* eig, int* top) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    if (x >= cols) return;
    int l = mirror1(x - 1, cols), r = mirror1(x + 1, cols);
    double above[3], here[3], below[3], sum[3];
    row_sums(cov, cols, mirror1(-1, rows), x, l, r, above);
    row_sums(cov, cols, 0, x, l, r, here);
    for (int k = 0; k < 3; k++) sum[k] = __dadd_rn(__dadd_rn(0.0, above[k]), here[k]);
    int best = 0;
    for (int y = 0; y < rows; y++) {
        row_sums(cov, cols, mirror1(y + 1, rows), x, l, r, below);
        float box[3];
        for (int k = 0; k < 3; k++) {
            double s0 = __dadd_rn(sum[k], below[k]);
            box[k] = (float) s0;
            sum[k] = __dsub_rn(s0, above[k]);
            above[k] = here[k];
            here[k] = below[k];
        }
        float a = __fmul_rn(box[0], 0.5f), b = box[1], c = __fmul_rn(box[2], 0.5f);
        float t = __fsub_rn(a, c);
        float e = __fsub_rn(__fadd_rn(a, c), __fsqrt_rn(__fadd_rn(__fmul_rn(b, b), __fmul_rn(t, t))));
        eig[(long long) y * cols + x] = e;
        if (e > 0 && __float_as_int(e) > best) best = __float_as_int(e);
    }
    if (best > 0) atomicMax(top, best);
}

// Per inner pixel (1 <= x < cols - 1, 1 <= y < rows - 1): a corner when its eigenvalue is above 1 % of the largest and
// no smaller than any of its 8 neighbours' (OpenCV zeroes those at or below the threshold first: they are smaller
// anyway). Appends (eigenvalue bits << 32 | pixel index) to `keys`; `found` counts them.
extern "C" __global__ void corners_pick(const float* eig, int cols, int rows, const int* top, unsigned long long* keys, int* found) {
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x < 1 || y < 1 || x >= cols - 1 || y >= rows - 1) return;
    float threshold = (float) ((double) __int_as_float(*top) * 0.01);
    float v = eig[(long long) y * cols + x];
    if (!(v > threshold)) return;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            float n = eig[(long long) (y + j) * cols + x + i];
            if (n > v) return;
        }
    int k = atomicAdd(found, 1);
    keys[k] = ((unsigned long long) (unsigned) __float_as_int(v) << 32) | (unsigned) (y * cols + x);
}
