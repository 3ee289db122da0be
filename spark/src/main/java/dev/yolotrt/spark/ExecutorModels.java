package dev.yolotrt.spark;

import dev.yolotrt.task.Task;
import dev.yolotrt.model.Yolo;
import dev.yolotrt.util.Settings;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
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
            return Yolo.load(model, gpus.isEmpty() ? s : s.withDevices(gpus), task == null ? null : Task.parse(task, "task"));
        });
    }

    /**
     * The GPU of the running task from Spark's resource scheduling: on a cluster, the address Spark gave the task
     * ({@code spark.task.resource.gpu.amount}); in local mode, where tasks cannot ask for GPUs (such a task is never
     * scheduled), one of the driver's ({@code spark.driver.resource.gpu.*}) by partition, so that tasks take turns over them.
     * None outside a task or where no GPU was declared: the model then runs as loaded (the CPU backend for ONNX).
     */
    static List<Integer> gpus() {
        TaskContext tc = TaskContext.get();
        if (tc == null) return List.of();
        ResourceInformation task = tc.resourcesJMap().get("gpu");
        List<Integer> out = new ArrayList<>();
        if (task != null) {
            for (String a : task.addresses()) out.add(Integer.parseInt(a.strip()));
        } else if ("driver".equals(SparkEnv.get().executorId())) { // local mode: tasks run in the driver, beside its context
            ResourceInformation driver = JavaSparkContext.fromSparkContext(SparkContext.getOrCreate()).resources().get("gpu");
            if (driver != null && driver.addresses().length > 0) {
                out.add(Integer.parseInt(driver.addresses()[tc.partitionId() % driver.addresses().length].strip()));
            }
        }
        return out;
    }

    private static void closeAll() {
        MODELS.values().forEach(Yolo::close);
        MODELS.clear();
    }
}
