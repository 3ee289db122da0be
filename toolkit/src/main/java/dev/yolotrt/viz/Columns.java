package dev.yolotrt.viz;

/**
 * The column names of the benchmark and throughput tables ({@code bench.Benchmark}, {@code bench.Throughput}), written
 * once: the tables are made with them and the charts read them by them.
 */
public final class Columns {
    public static final String FORMAT = "Format";
    public static final String PRECISION = "Precision";
    public static final String BATCH = "Batch";
    public static final String ENGINE_MS = "Engine ms/img";
    public static final String ENGINE_MIN = "Engine min";
    public static final String ENGINE_MAX = "Engine max";
    public static final String E2E_MS = "End-to-end ms/img";
    public static final String E2E_MIN = "E2E min";
    public static final String E2E_MAX = "E2E max";
    public static final String GPU_E2E_MS = "GPU E2E ms/img";
    public static final String GPU_MIN = "GPU min";
    public static final String GPU_MAX = "GPU max";
    public static final String PIPELINED_MS = "Pipelined ms/img";
    public static final String MAP50 = "mAP50";
    public static final String MAP = "mAP50-95";
    public static final String BUILD_S = "Build s";
    public static final String SIZE_MB = "Size MB";
    /** INT8 tuning tables: the row's group and setting. */
    public static final String GROUP = "Group";
    public static final String SETTING = "Setting";
    /** Throughput tables. */
    public static final String PATH = "Path";
    public static final String LIMITED_BY = "Limited by";
    public static final String IMAGES = "Images";
    public static final String SECONDS = "Seconds";
    public static final String IMAGES_PER_S = "Images/s";
    public static final String GPUS = "GPUs";
    public static final String DECODE_MS = "Decode ms/img";
    public static final String PREPROCESS_MS = "Preprocess ms/img";
    public static final String INFERENCE_MS = "Inference ms/img";
    public static final String POSTPROCESS_MS = "Postprocess ms/img";

    private Columns() {
    }
}
