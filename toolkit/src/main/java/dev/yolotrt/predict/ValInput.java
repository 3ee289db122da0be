package dev.yolotrt.predict;

import org.bytedeco.opencv.opencv_core.Mat;

import java.nio.FloatBuffer;

/**
 * An image as val and INT8 calibration feed a model of a size: a classifier's resize and centre crop, any other task's
 * val letterbox (sizes rounded up, INTER_AREA when shrinking). Calibration sees what the engine will see.
 */
public final class ValInput {
    private ValInput() {
    }

    /** Writes {@code bgr} as RGB floats, CHW, into {@code dst} from element {@code offset}. */
    public static void toChw(boolean classify, Mat bgr, int size, FloatBuffer dst, int offset) {
        if (classify) ClassifyTransform.toChw(bgr, size, dst, offset);
        else Letterbox.forVal(bgr.rows(), bgr.cols(), size).toChw(bgr, dst, offset);
    }
}
