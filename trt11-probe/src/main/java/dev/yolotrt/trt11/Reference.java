package dev.yolotrt.trt11;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.nio.FloatBuffer;
import java.nio.file.Path;

/**
 * Writes the reference output the probe compares against: the ONNX model run by ONNX Runtime on the CPU
 * on the probe's letterboxed input. Runs on the development machine, not on the GPU one:
 * {@code java -cp trt11-probe.jar:onnxruntime.jar dev.yolotrt.trt11.Reference MODEL.onnx IMAGE OUT.f32 INPUT.f32 [SIZE]}:
 * the output and the letterboxed input it was computed from.
 */
public final class Reference {

    private Reference() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: Reference MODEL.onnx IMAGE OUT.f32 INPUT.f32 [SIZE=640]");
            System.exit(2);
        }
        int size = args.length > 4 ? Integer.parseInt(args[4]) : 640;
        float[] input = Input.letterbox(Path.of(args[1]), size);
        Tensors.Tensor out = run(Path.of(args[0]), input, size);
        Tensors.write(Path.of(args[2]), out.shape(), out.values());
        // The input too: the GPU machine then needs no image decoding (its JRE's ImageIO would want libjpeg.so.62).
        Tensors.write(Path.of(args[3]), new long[]{1, 3, size, size}, input);
        System.out.println("reference " + args[2] + " shape " + java.util.Arrays.toString(out.shape()));
        for (Detections.Box b : Detections.top(out.values(), (int) out.shape()[2], 0.25f, 0.45f, 10)) System.out.println("  " + b);
    }

    /** The model's first output for a [1, 3, size, size] input, by ONNX Runtime on the CPU. */
    static Tensors.Tensor run(Path model, float[] input, int size) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            // Plain FP32 arithmetic, no graph rewrites that could change rounding.
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model.toString(), so);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[]{1, 3, size, size});
                 OrtSession.Result r = session.run(java.util.Map.of(session.getInputNames().iterator().next(), in))) {
                OnnxTensor out = (OnnxTensor) r.get(0);
                FloatBuffer fb = out.getFloatBuffer();
                float[] values = new float[fb.remaining()];
                fb.get(values);
                return new Tensors.Tensor(out.getInfo().getShape(), values);
            }
        }
    }
}
