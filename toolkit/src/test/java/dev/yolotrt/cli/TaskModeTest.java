package dev.yolotrt.cli;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.yolotrt.cli.MainTest.assertOneLineError;
import static dev.yolotrt.cli.MainTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ultralytics' {@code yolo TASK MODE key=value} form, {@code show}, val's plots and the help text. */
class TaskModeTest {

    @Test
    void taskBeforeTheModeRunsWhenItIsTheModels(@TempDir Path tmp) {
        MainTest.Run r = run("detect", "predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "project=" + tmp, "name=p");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("4 persons, 1 bus"), r.out());
        assertTrue(Files.isRegularFile(tmp.resolve("p/bus.jpg")));
    }

    @Test
    void anotherTaskIsOneLine() {
        Shared.require();
        assertOneLineError(run("segment", "predict", "model=yolov8n.onnx", "save=false"), "yolov8n.onnx is a detect model, not segment",
                "yolo-trt detect predict");
        // A checkpoint is named as the user gave it, not as the ONNX it was converted to in the cache.
        assertOneLineError(run("segment", "predict", "model=yolov8n.pt", "save=false"), "yolov8n.pt is a detect model, not segment");
        assertOneLineError(run("pose", "predict", "model=yolo11n-pose.onnx", "task=detect", "save=false"), "task=detect");
        MainTest.Run alone = run("detect");
        assertEquals(2, alone.code());
        assertOneLineError(alone, "a mode follows the task");
        assertOneLineError(run("obb", "kernel", "install"), "'kernel' is not one of them");
    }

    @Test
    void showWithoutADisplaySaysSoAndGoesOn(@TempDir Path tmp) {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("DISPLAY") == null && System.getenv("WAYLAND_DISPLAY") == null,
                "a display is present");
        MainTest.Run r = run("predict", "model=yolov8n.onnx", "source=" + Shared.image("bus.jpg"), "show=true", "project=" + tmp, "name=s");
        assertEquals(0, r.code(), r.err());
        assertEquals("show=true: no display here (neither DISPLAY nor WAYLAND_DISPLAY is set); results are not shown", r.err().strip());
        assertTrue(Files.isRegularFile(tmp.resolve("s/bus.jpg")));
    }

    @Test
    void valSavesUltralyticsPlots(@TempDir Path tmp) {
        Shared.require();
        MainTest.Run r = run("val", "model=yolov8n.onnx", "data=coco8.yaml", "project=" + tmp, "name=v", "verbose=false");
        assertEquals(0, r.code(), r.err());
        for (String f : new String[] {"BoxPR_curve.png", "BoxP_curve.png", "BoxR_curve.png", "BoxF1_curve.png", "confusion_matrix.png",
                "confusion_matrix_normalized.png", "results.csv"}) {
            assertTrue(Files.isRegularFile(tmp.resolve("v").resolve(f)), f);
        }
        MainTest.Run none = run("val", "model=yolov8n.onnx", "data=coco8.yaml", "project=" + tmp, "name=n", "verbose=false", "save=false");
        assertEquals(0, none.code(), none.err());
        assertTrue(!Files.exists(tmp.resolve("n/BoxPR_curve.png")));
    }

    @Test
    void helpListsEveryModeAndKeyOnceAndAllModelKinds() {
        String help = run("help").out();
        for (String mode : Commands.MODES) {
            assertEquals(1, help.lines().filter(l -> l.startsWith("  " + mode + " ")).count(), mode + "\n" + help);
        }
        for (String key : dev.yolotrt.cfg.Cfg.keys().keySet()) {
            assertEquals(1, help.lines().filter(l -> l.startsWith("  " + key + " ")).count(), key + "\n" + help);
        }
        assertTrue(help.contains(".pt, .onnx or .engine"), help);
        assertTrue(help.contains("yolo-trt [TASK] MODE"), help);
    }
}
