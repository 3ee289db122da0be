package dev.yolotrt.spark;

import dev.yolotrt.model.Yolo;
import dev.yolotrt.util.Settings;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The models of this executor JVM: one per model file and GPU, loaded by the first task that needs it, shared by the tasks
 * after it (a {@link Yolo} is safe to share: each batch leases its own session) and closed when the JVM shuts down.
 */
final class ExecutorModels {
    private static final Map<String, Yolo> MODELS = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "yolo-trt-models"));
    }

    private ExecutorModels() {
    }

    /** {@code model} (a path, or a name in YOLO_TRT_MODELS) on the GPU Spark gave this task, or on the CPU backend without one. */
    static Yolo get(String model, String task) {
        List<Integer> gpus = gpus();
        return MODELS.computeIfAbsent(model + "|" + task + "|" + gpus, k -> {
            Settings s = Settings.fromEnvironment();
            return Yolo.load(model, gpus.isEmpty() ? s : s.withDevices(gpus), task);
        });
    }

    /**
     * The GPUs of the running task from Spark's resource scheduling ({@code spark.task.resource.gpu.amount}): their addresses
     * as device ordinals; none outside a task or where no GPU was asked for (the executor then runs the model as loaded).
     */
    static List<Integer> gpus() {
        TaskContext tc = TaskContext.get();
        ResourceInformation gpu = tc == null ? null : tc.resourcesJMap().get("gpu");
        List<Integer> out = new ArrayList<>();
        if (gpu != null) for (String a : gpu.addresses()) out.add(Integer.parseInt(a.strip()));
        return out;
    }

    private static void closeAll() {
        MODELS.values().forEach(Yolo::close);
        MODELS.clear();
    }
}
