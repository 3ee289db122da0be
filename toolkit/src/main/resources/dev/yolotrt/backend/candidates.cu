// The first half of a detect head's decoding on the device, one thread per anchor: the (anchor, class) pairs whose score
// is above conf (every class with multiLabel, else each anchor's best class, the first on ties) are appended to their
// image's list with their box (cx, cy, w, h), so that only those cross back to the host instead of the whole
// [batch, 4 + nc, anchors] head. Order within a list depends on the atomics; the host sorts it back into the order its own
// decoder gathers in before NMS. An image with more than `cap` pairs counts them all but stores `cap`: the host then
// copies the whole head instead. Compiled to candidates.ptx by scripts/ptx.sh.

// Appends one pair to image b's list: its key (anchor * nc + class, as int bits), score and box.
__device__ void push(int* counts, float* list, int b, int cap, int key, float score, float cx, float cy, float w, float h) {
    int i = atomicAdd(&counts[b], 1);
    if (i >= cap) return;
    float* p = list + (size_t) i * 6;
    p[0] = __int_as_float(key);
    p[1] = score;
    p[2] = cx;
    p[3] = cy;
    p[4] = w;
    p[5] = h;
}

// What to keep, read from device memory rather than passed by value: a CUDA graph holding this kernel then serves every
// conf (the host writes the values before each launch, the graph copies them up), so graphs are keyed by shape alone.
struct Pick {
    float conf;
    int multiLabel;
};

extern "C" __global__ void candidates(const float* head, int channels, int anchors, int nc, const Pick* pick, int cap,
                                      int* counts, float* out) {
    int a = blockIdx.x * blockDim.x + threadIdx.x;
    int b = blockIdx.y;
    if (a >= anchors) return;
    float conf = pick->conf;
    int multiLabel = pick->multiLabel;
    const float* img = head + (size_t) b * channels * anchors;
    float* list = out + (size_t) b * cap * 6;
    float cx = img[a], cy = img[anchors + a], w = img[2 * anchors + a], h = img[3 * anchors + a];
    float best = -__int_as_float(0x7f800000);
    int bc = 0;
    for (int c = 0; c < nc; c++) {
        float s = img[(size_t) (4 + c) * anchors + a];
        if (multiLabel && s > conf) push(counts, list, b, cap, a * nc + c, s, cx, cy, w, h);
        if (s > best) {
            best = s;
            bc = c;
        }
    }
    if (!multiLabel && best > conf) push(counts, list, b, cap, a * nc + bc, best, cx, cy, w, h);
}
