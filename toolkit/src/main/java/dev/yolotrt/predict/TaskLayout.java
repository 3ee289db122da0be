package dev.yolotrt.predict;

import dev.yolotrt.task.Task;
import dev.yolotrt.task.ModelMetadata;
import dev.yolotrt.util.YoloException;

import java.util.Arrays;
import java.util.List;

/**
 * What each task's outputs look like in Ultralytics' ONNX export, checked against a model's real
 * outputs so that a model whose outputs do not fit its task is one clear line, not a wrong decode:
 * detect [B, 4+nc, A]; segment [B, 4+nc+nm, A] and prototypes [B, nm, mh, mw]; pose [B, 4+nc+K·D, A];
 * obb [B, 4+nc+1, A]; classify [B, nc].
 */
public final class TaskLayout {

    private TaskLayout() {
    }

    /** Checks {@code outputs} (shapes in output order) against {@code meta}'s task; {@code what} names the model. */
    public static void check(ModelMetadata meta, List<long[]> outputs, String what) {
        Task task = meta.task();
        int nc = meta.nc();
        String got = outputs.stream().map(Arrays::toString).reduce((a, b) -> a + ", " + b).orElse("none");
        String bad = what + " is a YOLO " + task + " model by its metadata, but its outputs (" + got + ") ";
        long[] o0 = outputs.isEmpty() ? new long[0] : outputs.get(0);
        switch (task) {
            case CLASSIFY -> {
                if (o0.length != 2 || o0[1] != nc) throw new YoloException(bad + "are not [batch, " + nc + "] class probabilities");
            }
            case SEGMENT -> {
                long[] p = outputs.size() > 1 ? outputs.get(1) : new long[0];
                if (outputs.size() != 2 || o0.length != 3 || p.length != 4 || o0[1] != 4 + nc + p[1]) {
                    throw new YoloException(bad + "are not [batch, 4+" + nc + "+nm, anchors] and prototypes [batch, nm, h, w]");
                }
            }
            case POSE -> {
                int[] k = meta.kptShape();
                if (k == null) throw new YoloException(what + " is a pose model without kpt_shape in its metadata; export it again with Ultralytics");
                if (o0.length != 3 || o0[1] != 4 + nc + (long) k[0] * k[1]) {
                    throw new YoloException(bad + "are not [batch, 4+" + nc + "+" + k[0] + "x" + k[1] + ", anchors] for kpt_shape " + Arrays.toString(k));
                }
            }
            case OBB -> {
                if (o0.length != 3 || o0[1] != 4 + nc + 1) throw new YoloException(bad + "are not [batch, 4+" + nc + "+1 (angle), anchors]");
            }
            case DETECT -> {
                if (o0.length != 3 || o0[1] != 4 + nc) throw new YoloException(bad + "are not [batch, 4+" + nc + ", anchors]");
            }
        }
    }
}
