package dev.yolotrt.backend;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.yolotrt.tensor.Tensor;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** ONNX Runtime on the CPU: the session is built once and reused until closed. */
public final class OnnxRuntimeBackend implements Backend {

    private final OrtEnvironment env = environment();
    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;
    private final Path file;

    private OnnxRuntimeBackend(Path file, OrtSession session) throws OrtException {
        this.file = file;
        this.session = session;
        Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
        this.inputName = in.getKey();
        this.inputShape = ((TensorInfo) in.getValue().getInfo()).getShape();
    }

    static {
        OrtNatives.prepare();   // before any ONNX Runtime class loads its natives: from our cache, not a new /tmp folder
    }

    /**
     * The one ONNX Runtime environment, logging only fatal errors: its warnings and errors would reach stderr as lines of
     * its own beside the one line the toolkit prints for the same problem.
     */
    public static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment(ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "yolo-trt");
    }

    /** Opens {@code file}; {@code threads} ≤ 0 lets ONNX Runtime choose. */
    public static OnnxRuntimeBackend open(Path file, int threads) {
        OnnxExternalData.check(file);
        // The session keeps what it needs of the options, so they are closed once it exists.
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (threads > 0) options.setIntraOpNumThreads(threads);
            OrtSession session = environment().createSession(file.toString(), options);
            try {
                return new OnnxRuntimeBackend(file, session);
            } catch (OrtException | RuntimeException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new YoloException(file + " is not a readable ONNX model (" + Downloads.oneLine(e)
                    + "); " + Text.reexport(file), e);
        }
    }

    /** The model's metadata_props (Ultralytics writes names, stride, imgsz ... there). */
    public Map<String, String> metadataProps() {
        try {
            return session.getMetadata().getCustomMetadata();
        } catch (OrtException e) {
            throw new YoloException("cannot read the metadata of " + file + ": " + Downloads.oneLine(e), e);
        }
    }

    /** Output names and shapes (-1 for dynamic dimensions). */
    public Map<String, long[]> outputShapes() {
        try {
            Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
            for (var e : session.getOutputInfo().entrySet()) {
                if (e.getValue().getInfo() instanceof TensorInfo t) shapes.put(e.getKey(), t.getShape());
            }
            return shapes;
        } catch (OrtException e) {
            throw new YoloException("cannot read the outputs of " + file + ": " + Downloads.oneLine(e), e);
        }
    }

    @Override
    public String name() {
        return "onnxruntime-cpu";
    }

    @Override
    public long[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public int maxBatch() {
        return inputShape[0] < 0 ? Integer.MAX_VALUE : (int) inputShape[0];
    }

    /** ONNX Runtime's run is thread-safe: a session is only a reusable direct input buffer. */
    @Override
    public Session openSession() {
        return new Session() {
            private FloatBuffer buffer;

            @Override
            public FloatBuffer inputBuffer(int batch, int height, int width) {
                int need = Math.multiplyExact(Math.multiplyExact(batch * 3, height), width);
                if (buffer == null || buffer.capacity() < need) {
                    buffer = java.nio.ByteBuffer.allocateDirect(Math.multiplyExact(need, Float.BYTES))
                            .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
                }
                return buffer.clear().limit(need);
            }

            @Override
            public List<Tensor> infer(FloatBuffer input, int batch, int height, int width) {
                return OnnxRuntimeBackend.this.infer(input, batch, height, width);
            }

            @Override
            public void close() {
                buffer = null;
            }
        };
    }

    /** Runs a batch; safe from any thread (outputs are copies). */
    public List<Tensor> infer(FloatBuffer input, int batch, int height, int width) {
        long[] shape = {batch, 3, height, width};
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, shape);
             OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
            List<Tensor> outputs = new ArrayList<>();
            for (var e : result) {
                OnnxTensor t = (OnnxTensor) e.getValue();
                outputs.add(new Tensor(e.getKey(), t.getInfo().getShape(), t.getFloatBuffer()));
            }
            return outputs;
        } catch (OrtException e) {
            throw new YoloException("inference failed on " + file + " for input " + java.util.Arrays.toString(shape)
                    + ": " + Downloads.oneLine(e), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
