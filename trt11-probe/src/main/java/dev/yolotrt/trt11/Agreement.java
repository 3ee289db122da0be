package dev.yolotrt.trt11;

import java.util.Locale;

/**
 * How far one detect-head output ([4 + classes, anchors]) is from a reference: box coordinates (pixels) where the
 * reference sees an object (best class score at least 0.25; elsewhere a box is noise no detection uses, and FP16
 * moves those by pixels), the same over all anchors for information, and class scores everywhere.
 */
record Agreement(float maxBox, int objects, float maxBoxAll, float maxScore) {

    /** How far from ONNX Runtime (FP32, CPU) an output may be: box coordinates in pixels (0..640), class scores. */
    record Tolerance(float boxPx, float score) {
        @Override
        public String toString() {
            return "tolerance " + boxPx + " px, " + score;
        }
    }

    /** FP32 arithmetic (TF32 off): rounding differences only. */
    static final Tolerance FP32 = new Tolerance(0.05f, 1e-3f);
    /** FP16 carries ~1e-3 relative error (ONNX Runtime's FP16: 0.29 px, 0.0035); the bar for FP16 scores is 0.02. */
    static final Tolerance FP16 = new Tolerance(2f, 0.02f);

    static Agreement of(float[] output, float[] ref, int anchors) {
        if (output.length != ref.length)
            throw new IllegalArgumentException("output holds " + output.length + " values, the reference " + ref.length);
        float maxBox = 0, maxBoxAll = 0, maxScore = 0;
        int objects = 0;
        for (int a = 0; a < anchors; a++) {
            float best = 0;
            for (int i = 4 * anchors + a; i < ref.length; i += anchors) {
                best = Math.max(best, ref[i]);
                maxScore = Math.max(maxScore, Math.abs(output[i] - ref[i]));
            }
            boolean object = best >= 0.25f;
            if (object) objects++;
            for (int j = 0; j < 4; j++) {
                float d = Math.abs(output[j * anchors + a] - ref[j * anchors + a]);
                maxBoxAll = Math.max(maxBoxAll, d);
                if (object) maxBox = Math.max(maxBox, d);
            }
        }
        return new Agreement(maxBox, objects, maxBoxAll, maxScore);
    }

    boolean within(Tolerance t) {
        return maxBox <= t.boxPx() && maxScore <= t.score();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "max |diff| boxes %.5f px (%d anchors with an object; %.3f px over all), class scores %.6f",
                maxBox, objects, maxBoxAll, maxScore);
    }
}
