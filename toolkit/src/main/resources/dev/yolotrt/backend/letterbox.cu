// Ultralytics' predict letterbox on the device, one thread per output pixel: 8-bit BGR (HWC, rows `step` bytes apart)
// resized as OpenCV's INTER_LINEAR does for 8-bit images (source x = (dx + 0.5) * scale - 0.5, 11-bit fixed-point
// weights, the vertical pass rounded as its SIMD path), padded with grey 114, written as RGB floats in [0, 1], planar (CHW).
// One launch letterboxes a whole batch (blockIdx.z is the slot): each slot's geometry comes from a table in device memory,
// uploaded with the pixels, so that the launch's own arguments stay the same from batch to batch and it can sit in a
// CUDA graph with the upload, the engine and the download.
// Compiled to letterbox.ptx by scripts/ptx.sh; the toolkit loads the PTX with the driver API (no NVRTC at run time).

// A slot's row of the table: byte offset of its pixels in `pixels`, srcW, srcH, step, newW, newH, left, top. srcW 0: the
// slot has no image this batch and keeps what it holds.
#define JOB_FIELDS 8

extern "C" __global__ void letterbox(const unsigned char* pixels, const long long* jobs, float* input, int dstW, int dstH) {
    const long long* job = jobs + (size_t) blockIdx.z * JOB_FIELDS;
    int srcW = (int) job[1], srcH = (int) job[2], step = (int) job[3], newW = (int) job[4], newH = (int) job[5];
    int left = (int) job[6], top = (int) job[7];
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (srcW == 0 || x >= dstW || y >= dstH) return;
    const unsigned char* src = pixels + job[0];
    float* dst = input + (size_t) blockIdx.z * 3 * dstW * dstH;
    int plane = dstW * dstH, o = y * dstW + x;
    int rx = x - left, ry = y - top;
    if (rx < 0 || ry < 0 || rx >= newW || ry >= newH) {
        float pad = 114.0f / 255.0f;
        dst[o] = pad;
        dst[plane + o] = pad;
        dst[2 * plane + o] = pad;
        return;
    }
    const int ONE = 2048;  // INTER_RESIZE_COEF_SCALE
    int x0, x1, ax0, ax1, y0, y1, by0, by1;
    if (newW == srcW) {
        x0 = x1 = rx;
        ax0 = ONE;
        ax1 = 0;
    } else {
        float fx = (float) ((rx + 0.5) * (1.0 / ((double) newW / srcW)) - 0.5);  // OpenCV: scale = 1 / inv_scale
        int sx = (int) floorf(fx);
        fx -= sx;
        if (sx < 0) { fx = 0; sx = 0; }
        if (sx >= srcW - 1) { fx = 0; sx = srcW - 1; }
        x0 = sx;
        x1 = min(sx + 1, srcW - 1);
        ax0 = __float2int_rn((1.0f - fx) * ONE);
        ax1 = __float2int_rn(fx * ONE);
    }
    if (newH == srcH) {
        y0 = y1 = ry;
        by0 = ONE;
        by1 = 0;
    } else {
        float fy = (float) ((ry + 0.5) * (1.0 / ((double) newH / srcH)) - 0.5);
        int sy = (int) floorf(fy);
        fy -= sy;
        by0 = __float2int_rn((1.0f - fy) * ONE);
        by1 = __float2int_rn(fy * ONE);
        y0 = min(max(sy, 0), srcH - 1);
        y1 = min(max(sy + 1, 0), srcH - 1);
    }
    const unsigned char* r0 = src + (long long) y0 * step;
    const unsigned char* r1 = src + (long long) y1 * step;
    for (int c = 0; c < 3; c++) {
        int s0 = r0[x0 * 3 + c] * ax0 + r0[x1 * 3 + c] * ax1;
        int s1 = r1[x0 * 3 + c] * ax0 + r1[x1 * 3 + c] * ax1;
        int v = (((by0 * (s0 >> 4)) >> 16) + ((by1 * (s1 >> 4)) >> 16) + 2) >> 2;
        v = min(max(v, 0), 255);
        dst[(2 - c) * plane + o] = v / 255.0f;  // BGR -> RGB planes
    }
}
