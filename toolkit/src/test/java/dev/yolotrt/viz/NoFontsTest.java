package dev.yolotrt.viz;

import dev.yolotrt.testutil.Shared;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drawing needs no font libraries: a JVM whose AWT font manager cannot load (as on a server JRE
 * without libharfbuzz / libfreetype) still predicts, saves annotated images and renders a notebook
 * preview. The control run shows that such a JVM really fails at the first AWT text.
 */
class NoFontsTest {

    /** Refuses to load AWT's font manager library, as if its system libraries were missing; allows all else. */
    @SuppressWarnings("removal")
    public static final class NoFontManager extends SecurityManager {
        @Override
        public void checkPermission(java.security.Permission perm) {
        }

        @Override
        public void checkPermission(java.security.Permission perm, Object context) {
        }

        @Override
        public void checkLink(String lib) {
            if (lib.contains("fontmanager")) throw new UnsatisfiedLinkError("libfontmanager.so: libharfbuzz.so.0: cannot open shared object file");
        }
    }

    /** Draws AWT text: what annotating used to do. */
    public static final class AwtText {
        public static void main(String[] args) {
            var img = new java.awt.image.BufferedImage(10, 10, java.awt.image.BufferedImage.TYPE_3BYTE_BGR);
            img.createGraphics().drawString("person 0.89", 1, 8);
        }
    }

    /** Renders a prediction the way a notebook cell shows it. */
    public static final class NotebookPreview {
        public static void main(String[] args) {
            try (var m = dev.yolotrt.model.Yolo.load(args[0])) {
                var bundle = dev.yolotrt.notebook.Rich.bundle(m.predict(args[1]));
                if (!bundle.containsKey("image/png")) throw new AssertionError("no image/png");
            }
        }
    }

    private static Process java(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.awt.headless=true", "-Djava.security.manager=" + NoFontManager.class.getName(),
                "-cp", System.getProperty("java.class.path")));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log-" + System.nanoTime() + ".txt").toFile()).start();
    }

    @Test
    void predictSavesAndPreviewsWithoutFonts(@TempDir Path dir) throws Exception {
        assertNotEquals(0, java(dir, AwtText.class.getName()).waitFor(), "AWT text should fail without a font manager");

        String model = Shared.model("yolov8n.onnx").toString(), bus = Shared.image("bus.jpg").toString();
        Process p = java(dir, "dev.yolotrt.cli.Main", "predict", "model=" + model, "source=" + bus, "project=" + dir, "name=run");
        int rc = p.waitFor();
        assertEquals(0, rc, "predict without fonts: " + logs(dir));
        assertTrue(Files.size(dir.resolve("run/bus.jpg")) > 10_000);
        assertEquals(0, java(dir, NotebookPreview.class.getName(), model, bus).waitFor(), logs(dir));
    }

    private static String logs(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (var s = Files.list(dir)) {
            for (Path f : s.filter(f -> f.getFileName().toString().startsWith("log-")).toList()) sb.append(Files.readString(f));
        }
        return sb.toString();
    }
}
