// The first half of a detect head's decoding on the device, one thread per anchor: the (anchor, class) pairs whose score
// is above conf (every class with multiLabel, else each anchor's best class, the first on ties) are appended to their
// image's list with their box (cx, cy, w, h), so that only those cross back to the host instead of the whole
// [batch, 4 + nc, anchors] head. Order within a list depends on the atomics; the host sorts it back into the order its own
// decoder gathers in before NMS. An image with more than `cap` pairs counts them all but stores `cap`: the host then
// copies the whole head instead. Compiled to candidates.ptx by scripts/ptx.sh.

extern "C" __global__ void candidates(const float* head, int channels, int anchors, int nc, float conf, int multiLabel, int cap,
                                      int* counts, float* out) {
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    int b = blockIdx.y;
    if (a >= anchors) return;
    const float* img = head + (size_t) b * channels * anchors;
    float* list = out + (size_t) b * cap * 6;
    float cx = img[a], cy = img[anchors + a], w = img[2 * anchors + a], h = img[3 * anchors + a];
    if (multiLabel) {
        for (int c = 0; c < nc; c++) {
            float s = img[(size_t) (4 + c) * anchors + a];
            if (s > conf) {
                int i = atomicAdd(&counts[b], 1);
                if (i < cap) {
                    float* p = list + (size_t) i * 6;
                    p[0] = __int_as_float(a * nc + c);
                    p[1] = s;
                    p[2] = cx;
                    p[3] = cy;
                    p[4] = w;
                    p[5] = h;
                }
            }
        }
    } else {
        float best = -__int_as_float(0x7f800000);
        int bc = 0;
        for (int c = 0; c < nc; c++) {
            float s = img[(size_t) (4 + c) * anchors + a];
            if (s > best) {
                best = s;
                bc = c;
            }
        }
        if (best > conf) {
            int i = atomicAdd(&counts[b], 1);
            if (i < cap) {
                float* p = list + (size_t) i * 6;
                p[0] = __int_as_float(a * nc + bc);
                p[1] = best;
                p[2] = cx;
                p[3] = cy;
                p[4] = w;
                p[5] = h;
            }
        }
    }
}
