// BoT-SORT's camera motion on the device: the corners of a half-size grey frame (last section) and OpenCV's pyramidal
// Lucas-Kanade (calcOpticalFlowPyrLK with the defaults Ultralytics keeps: 21×21 windows, 3 levels, 30 iterations or
// 0.01 px, min eigenvalue 1e-4) for them into the next frame, giving the same float bits as OpenCV 4.10's x86 CPU code.
// For the flow: integer steps (pyramid, Scharr derivatives, bilinear window samples) are exact anyway; the float sums
// are made in the order and grouping of OpenCV's 128-bit SIMD loops (4 lanes for the first 16 columns of a window row,
// the rest one by one), each product and sum rounded on its own (no fused multiply-add), so that a frame's motion does
// not depend on where it was computed.
// Compiled to flow.ptx by scripts/ptx.sh; the toolkit loads the PTX with the driver API (no NVRTC at run time).
//
// A frame's pyramid lives in one allocation: for each level, its grey image and then its derivatives (dx, dy as shorts),
// each with a border of one window (21 px) on every side, as OpenCV pads them: the image mirrored (BORDER_REFLECT_101),
// the derivatives zero. Level sizes halve rounding up; flow_level gives each level's offsets (DeviceFlow.bytes sizes the
// allocation by the same walk). FlowOnHostTest runs these kernels on the host against OpenCV, DeviceFlowGpuTest on a GPU.

#define WIN 21
#define BORDER WIN

struct Level {
    int cols, rows;
    long long image, deriv; // byte offsets of the bordered image and derivatives
};

// Level `level` of a frame of `cols` × `rows` (the half-size grey image): its size and where it lies. Images' rows are
// cols + 2 * BORDER bytes; derivatives' rows four times that; each block starts on a 256-byte boundary.
__device__ Level flow_level(int cols, int rows, int level) {
    long long at = 0;
    Level l;
    for (int k = 0; ; k++) {
        long long w = cols + 2 * BORDER, h = rows + 2 * BORDER;
        l.cols = cols;
        l.rows = rows;
        l.image = at;
        at += (w * h + 255) / 256 * 256;
        l.deriv = at;
        at += (w * h * 4 + 255) / 256 * 256;
        if (k == level) return l;
        cols = (cols + 1) / 2;
        rows = (rows + 1) / 2;
    }
}

// OpenCV's BORDER_REFLECT_101 index (borderInterpolate): ... 2 1 | 0 1 2 ... n-1 | n-2 ...
__device__ int reflect101(int i, int n) {
    if (n == 1) return 0;
    while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
    return i;
}

// Level 0: the grey image (rows `step` bytes apart) with its mirrored border. One thread per bordered pixel.
extern "C" __global__ void flow_level0(const unsigned char* grey, long long step, int cols, int rows, unsigned char* pyramid) {
    int w = cols + 2 * BORDER, h = rows + 2 * BORDER;
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= w || y >= h) return;
    Level l = flow_level(cols, rows, 0);
    pyramid[l.image + (long long) y * w + x] = grey[reflect101(y - BORDER, rows) * step + reflect101(x - BORDER, cols)];
}

// Level `level` from the one above (OpenCV's pyrDown: 5×5 kernel [1 4 6 4 1]² / 256, rounded, its source mirrored),
// with its mirrored border. The level above is read through its own border, which holds the same mirrored pixels.
extern "C" __global__ void flow_down(unsigned char* pyramid, int cols0, int rows0, int level) {
    Level up = flow_level(cols0, rows0, level - 1), l = flow_level(cols0, rows0, level);
    int w = l.cols + 2 * BORDER, h = l.rows + 2 * BORDER, uw = up.cols + 2 * BORDER;
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= w || y >= h) return;
    int sx = 2 * reflect101(x - BORDER, l.cols) + BORDER, sy = 2 * reflect101(y - BORDER, l.rows) + BORDER;
    const unsigned char* src = pyramid + up.image;
    const int k[5] = {1, 4, 6, 4, 1};
    int sum = 0;
    for (int j = 0; j < 5; j++) {
        const unsigned char* row = src + (long long) (sy + j - 2) * uw + sx;
        sum += k[j] * (row[-2] + 4 * row[-1] + 6 * row[0] + 4 * row[1] + row[2]);
    }
    pyramid[l.image + (long long) y * w + x] = (unsigned char) ((sum + 128) >> 8);
}

// The Scharr derivatives of each level (blockIdx.z) as OpenCV's LK computes them: dx = [3 10 3]ᵀ smoothing then central
// difference, dy the transpose, over the mirrored image; zero in the border.
extern "C" __global__ void flow_deriv(unsigned char* pyramid, int cols0, int rows0) {
    Level l = flow_level(cols0, rows0, blockIdx.z);
    int w = l.cols + 2 * BORDER, h = l.rows + 2 * BORDER;
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= w || y >= h) return;
    short* d = (short*) (pyramid + l.deriv) + 2 * ((long long) y * w + x);
    int ix = x - BORDER, iy = y - BORDER;
    if (ix < 0 || iy < 0 || ix >= l.cols || iy >= l.rows) {
        d[0] = 0;
        d[1] = 0;
        return;
    }
    const unsigned char* img = pyramid + l.image;
    int up = reflect101(iy - 1, l.rows) + BORDER, mid = y, down = reflect101(iy + 1, l.rows) + BORDER;
    int left = reflect101(ix - 1, l.cols) + BORDER, right = reflect101(ix + 1, l.cols) + BORDER;
#define P(r, c) ((int) img[(long long) (r) * w + (c)])
    int smoothL = (P(up, left) + P(down, left)) * 3 + P(mid, left) * 10;
    int smoothR = (P(up, right) + P(down, right)) * 3 + P(mid, right) * 10;
    int diffL = P(down, left) - P(up, left), diffM = P(down, x) - P(up, x), diffR = P(down, right) - P(up, right);
#undef P
    d[0] = (short) (smoothR - smoothL);
    d[1] = (short) ((diffL + diffR) * 3 + diffM * 10);
}

// cvFloor as on x86: NaN gives INT_MIN (out of every image).
__device__ int floor_x86(float v) {
    return v != v ? (int) 0x80000000 : __float2int_rd(v);
}

// Bilinear weights in 14-bit fixed point, rounded half to even as cvRound is on x86.
__device__ void weights(float a, float b, int* w) {
    float ia = __fsub_rn(1.f, a), ib = __fsub_rn(1.f, b);
    w[0] = __float2int_rn(__fmul_rn(__fmul_rn(ia, ib), 16384.f));
    w[1] = __float2int_rn(__fmul_rn(__fmul_rn(a, ib), 16384.f));
    w[2] = __float2int_rn(__fmul_rn(__fmul_rn(ia, b), 16384.f));
    w[3] = 16384 - w[0] - w[1] - w[2];
}

// One point per thread: `points` (x, y pairs, level-0 pixels of `prev`) tracked into `next`, both pyramids of `levels`
// levels of a cols × rows frame; writes each point's position and status (0: lost) as OpenCV's calc does without errors.
extern "C" __global__ void flow_track(const unsigned char* prev, const unsigned char* next, int cols0, int rows0, int levels,
                                      const float* points, int n, float* out, unsigned char* status) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float half = 10.f, scale = 1.f / (1 << 20);
    short win[WIN * WIN], dwin[WIN * WIN * 2];
    float px = points[2 * i], py = points[2 * i + 1];
    float outx = 0, outy = 0;
    unsigned char ok = 1;
    for (int level = levels - 1; level >= 0; level--) {
        Level l = flow_level(cols0, rows0, level);
        int w = l.cols + 2 * BORDER;
        const unsigned char* I = prev + l.image + (long long) BORDER * w + BORDER;
        const short* dI = (const short*) (prev + l.deriv) + 2 * ((long long) BORDER * w + BORDER);
        const unsigned char* J = next + l.image + (long long) BORDER * w + BORDER;
        float s = 1.f / (1 << level);
        float ppx = __fmul_rn(px, s), ppy = __fmul_rn(py, s);
        float nx, ny;
        if (level == levels - 1) {
            nx = ppx;
            ny = ppy;
        } else {
            nx = __fmul_rn(outx, 2.f);
            ny = __fmul_rn(outy, 2.f);
        }
        outx = nx;
        outy = ny;
        ppx = __fsub_rn(ppx, half);
        ppy = __fsub_rn(ppy, half);
        int ipx = floor_x86(ppx), ipy = floor_x86(ppy);
        if (ipx < -WIN || ipx >= l.cols || ipy < -WIN || ipy >= l.rows) {
            if (level == 0) ok = 0;
            continue;
        }
        int iw[4];
        weights(__fsub_rn(ppx, (float) ipx), __fsub_rn(ppy, (float) ipy), iw);
        // The window of the previous frame and its derivatives, and their covariance: columns 0-15 in 4 float lanes
        // (column % 4), the last 5 in one scalar sum, as OpenCV's SIMD loop and its tail.
        float lane11[4] = {0, 0, 0, 0}, lane12[4] = {0, 0, 0, 0}, lane22[4] = {0, 0, 0, 0};
        float tail11 = 0, tail12 = 0, tail22 = 0;
        for (int y = 0; y < WIN; y++) {
            const unsigned char* src = I + (long long) (y + ipy) * w + ipx;
            const short* ds = dI + 2 * ((long long) (y + ipy) * w + ipx);
            for (int x = 0; x < WIN; x++) {
                int ival = (src[x] * iw[0] + src[x + 1] * iw[1] + src[x + w] * iw[2] + src[x + w + 1] * iw[3] + (1 << 8)) >> 9;
                const short* d0 = ds + 2 * x;
                const short* d1 = d0 + 2 * w;
                int ixval = (d0[0] * iw[0] + d0[2] * iw[1] + d1[0] * iw[2] + d1[2] * iw[3] + (1 << 13)) >> 14;
                int iyval = (d0[1] * iw[0] + d0[3] * iw[1] + d1[1] * iw[2] + d1[3] * iw[3] + (1 << 13)) >> 14;
                win[y * WIN + x] = (short) ival;
                dwin[2 * (y * WIN + x)] = (short) ixval;
                dwin[2 * (y * WIN + x) + 1] = (short) iyval;
                float fx = (float) ixval, fy = (float) iyval;
                if (x < 16) {
                    int k = x & 3;
                    lane22[k] = __fadd_rn(lane22[k], __fmul_rn(fy, fy));
                    lane12[k] = __fadd_rn(lane12[k], __fmul_rn(fx, fy));
                    lane11[k] = __fadd_rn(lane11[k], __fmul_rn(fx, fx));
                } else {
                    tail11 = __fadd_rn(tail11, __int2float_rn(ixval * ixval));
                    tail12 = __fadd_rn(tail12, __int2float_rn(ixval * iyval));
                    tail22 = __fadd_rn(tail22, __int2float_rn(iyval * iyval));
                }
            }
        }
        // SSE's horizontal sum: (l0 + l2) + (l1 + l3).
#define REDUCE(q) __fadd_rn(__fadd_rn(q[0], q[2]), __fadd_rn(q[1], q[3]))
        float A11 = __fmul_rn(__fadd_rn(tail11, REDUCE(lane11)), scale);
        float A12 = __fmul_rn(__fadd_rn(tail12, REDUCE(lane12)), scale);
        float A22 = __fmul_rn(__fadd_rn(tail22, REDUCE(lane22)), scale);
#undef REDUCE
        float D = __fsub_rn(__fmul_rn(A11, A22), __fmul_rn(A12, A12));
        float t = __fsub_rn(A11, A22);
        float root = __fsqrt_rn(__fadd_rn(__fmul_rn(t, t), __fmul_rn(__fmul_rn(4.f, A12), A12)));
        float minEig = __fdiv_rn(__fsub_rn(__fadd_rn(A22, A11), root), (float) (2 * WIN * WIN));
        if (minEig < 1e-4f || D < 1.1920928955078125e-07f) {
            if (level == 0) ok = 0;
            continue;
        }
        D = __fdiv_rn(1.f, D);
        nx = __fsub_rn(nx, half);
        ny = __fsub_rn(ny, half);
        float pdx = 0, pdy = 0;
        for (int j = 0; j < 30; j++) {
            int inx = floor_x86(nx), iny = floor_x86(ny);
            if (inx < -WIN || inx >= l.cols || iny < -WIN || iny >= l.rows) {
                if (level == 0) ok = 0;
                break;
            }
            weights(__fsub_rn(nx, (float) inx), __fsub_rn(ny, (float) iny), iw);
            // Mismatch times gradient: OpenCV's SIMD loop takes 8 columns at a time and adds, in int, the products of
            // columns c and c+4 (c = 0..3) for dx and for dy; each such pair goes into a float lane (columns 0,4 and 2,6 into
            // two halves of one lane, 1,5 and 3,7 of another), the last 5 columns into scalar sums.
            float b0[4] = {0, 0, 0, 0}, b1[4] = {0, 0, 0, 0};
            float tail1 = 0, tail2 = 0;
            for (int y = 0; y < WIN; y++) {
                const unsigned char* src = J + (long long) (iny + y) * w + inx;
                const short* Iw = win + y * WIN;
                const short* dw = dwin + 2 * y * WIN;
                int diff[WIN];
                for (int x = 0; x < WIN; x++)
                    diff[x] = ((src[x] * iw[0] + src[x + 1] * iw[1] + src[x + w] * iw[2] + src[x + w + 1] * iw[3] + (1 << 8)) >> 9) - Iw[x];
                for (int c = 0; c < 16; c += 8) {
                    const int* e = diff + c;
                    const short* g = dw + 2 * c;
                    b0[0] = __fadd_rn(b0[0], __int2float_rn(e[0] * g[0] + e[4] * g[8]));
                    b0[1] = __fadd_rn(b0[1], __int2float_rn(e[0] * g[1] + e[4] * g[9]));
                    b0[2] = __fadd_rn(b0[2], __int2float_rn(e[1] * g[2] + e[5] * g[10]));
                    b0[3] = __fadd_rn(b0[3], __int2float_rn(e[1] * g[3] + e[5] * g[11]));
                    b1[0] = __fadd_rn(b1[0], __int2float_rn(e[2] * g[4] + e[6] * g[12]));
                    b1[1] = __fadd_rn(b1[1], __int2float_rn(e[2] * g[5] + e[6] * g[13]));
                    b1[2] = __fadd_rn(b1[2], __int2float_rn(e[3] * g[6] + e[7] * g[14]));
                    b1[3] = __fadd_rn(b1[3], __int2float_rn(e[3] * g[7] + e[7] * g[15]));
                }
                for (int x = 16; x < WIN; x++) {
                    tail1 = __fadd_rn(tail1, __int2float_rn(diff[x] * dw[2 * x]));
                    tail2 = __fadd_rn(tail2, __int2float_rn(diff[x] * dw[2 * x + 1]));
                }
            }
            float ib1 = __fadd_rn(tail1, __fadd_rn(__fadd_rn(b0[0], b1[0]), __fadd_rn(b0[2], b1[2])));
            float ib2 = __fadd_rn(tail2, __fadd_rn(__fadd_rn(b0[1], b1[1]), __fadd_rn(b0[3], b1[3])));
            float bb1 = __fmul_rn(ib1, scale), bb2 = __fmul_rn(ib2, scale);
            float dx = __fmul_rn(__fsub_rn(__fmul_rn(A12, bb2), __fmul_rn(A22, bb1)), D);
            float dy = __fmul_rn(__fsub_rn(__fmul_rn(A12, bb1), __fmul_rn(A11, bb2)), D);
            nx = __fadd_rn(nx, dx);
            ny = __fadd_rn(ny, dy);
            outx = __fadd_rn(nx, half);
            outy = __fadd_rn(ny, half);
            if (__dadd_rn(__dmul_rn((double) dx, (double) dx), __dmul_rn((double) dy, (double) dy)) <= 0.01 * 0.01) break;
            if (j > 0 && (double) fabsf(__fadd_rn(dx, pdx)) < 0.01 && (double) fabsf(__fadd_rn(dy, pdy)) < 0.01) {
                outx = __fsub_rn(outx, __fmul_rn(dx, 0.5f));
                outy = __fsub_rn(outy, __fmul_rn(dy, 0.5f));
                break;
            }
            pdx = dx;
            pdy = dy;
        }
    }
    out[2 * i] = outx;
    out[2 * i + 1] = outy;
    status[i] = ok;
}

// ---- Corners: OpenCV's goodFeaturesToTrack as Ultralytics calls it (at most 1000 corners, quality 0.01, block 3, Sobel
// aperture 3, no Harris; minimum distance 0 picks the same corners as its 1, see Gmc) on the same half-size grey frame.
// The minimum eigenvalue of each pixel's 3×3 gradient covariance, the largest of them, the pixels above 1 % of it that
// are the largest of their 3×3 neighbourhood; the host sorts those (strongest first, equal ones by the later pixel
// first, as OpenCV) and keeps the first 1000. Unlike the flow, this arithmetic is OpenCV 4.10's on an x86 machine with
// AVX2 and FMA (what its dispatcher runs there): Sobel's smoothing taps as fused multiply-adds, everything else rounded
// on its own, the 3×3 sums of the covariance in double in OpenCV's order.

// Sobel's scale for 8-bit images, aperture 3 and block 3: 1 / (2^(3-1) * 3 * 255), as a float kernel tap.
#define SCALE ((float) (1.0 / 3060.0))

// Per pixel: Sobel dx and dy (float, scaled, mirrored border) and their products dx², dx·dy, dy² into `cov`.
extern "C" __global__ void corners_cov(const unsigned char* grey, long long step, int cols, int rows, float* cov) {
    int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= cols || y >= rows) return;
    int l = reflect101(x - 1, cols), r = reflect101(x + 1, cols), u = reflect101(y - 1, rows), d = reflect101(y + 1, rows);
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
    int l = reflect101(x - 1, cols), r = reflect101(x + 1, cols);
    double above[3], here[3], below[3], sum[3];
    row_sums(cov, cols, reflect101(-1, rows), x, l, r, above);
    row_sums(cov, cols, 0, x, l, r, here);
    for (int k = 0; k < 3; k++) sum[k] = __dadd_rn(__dadd_rn(0.0, above[k]), here[k]);
    int best = 0;
    for (int y = 0; y < rows; y++) {
        row_sums(cov, cols, reflect101(y + 1, rows), x, l, r, below);
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
