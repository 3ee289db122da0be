package dev.yolotrt.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The GPU a task runs on comes from Spark's resource scheduling: here local mode with two "GPUs" of the driver declared by a
 * discovery script (no GPU is touched); local tasks cannot ask for GPUs, so they take turns over the driver's by partition.
 */
class GpuResourceTest {

    @Test
    @Timeout(300)
    void eachTaskGetsTheGpuSparkAssigned(@TempDir Path dir) throws IOException {
        Path script = dir.resolve("gpus.sh");
        Files.writeString(script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("yolo-trt-gpu-resources").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.driver.resource.gpu.amount", "2").config("spark.driver.resource.gpu.discoveryScript", script.toString())
                .getOrCreate();
        try {
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            List<List<Integer>> seen = sc.parallelize(List.of(0, 1, 2, 3), 4).map(k -> ExecutorModels.gpus()).collect();
            assertEquals(List.of(List.of(0), List.of(1), List.of(0), List.of(1)), seen, "partition k on GPU k mod 2");
            assertEquals(List.of(), ExecutorModels.gpus(), "outside a task: no GPU of Spark's");
        } finally {
            spark.stop();
        }
    }
}
