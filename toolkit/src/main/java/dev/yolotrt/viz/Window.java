package dev.yolotrt.viz;

import dev.yolotrt.predict.Results;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Log;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_highgui;
import org.bytedeco.opencv.opencv_core.Mat;


/**
 * {@code show=true}: each annotated result in an OpenCV window, as Ultralytics' {@code cv2.imshow}, where there is a
 * display. Where there is none, or OpenCV's window library cannot start, one line says so and the run goes on
 * without the window.
 */
public final class Window implements AutoCloseable {

    /** How long an image stays before the next one (Ultralytics waits 300 ms on images, 1 ms on video frames). */
    private static final int IMAGE_MS = 300, FRAME_MS = 1;

    private final String title;
    private final ResultWriter.Options style;
    private boolean broken;

    private Window(String title, ResultWriter.Options style) {
        this.title = title;
        this.style = style;
    }

    /** A window titled {@code title}, or null after one line through the {@link Log} sink saying why none can open here. */
    public static Window open(String title, ResultWriter.Options style) {
        String why = whyNoDisplay(System.getenv("DISPLAY"), System.getenv("WAYLAND_DISPLAY"));
        if (why == null) {
            try {
                Loader.load(opencv_highgui.class);
            } catch (Throwable e) {   // UnsatisfiedLinkError: the GUI libraries OpenCV links are missing
                why = "OpenCV's window library does not load (" + Downloads.oneLine(e) + ")";
            }
        }
        if (why != null) {
            Log.info("show=true: " + why + "; results are not shown");
            return null;
        }
        return new Window(title, style);
    }

    /** Null when a display is named, else the reason none is. */
    static String whyNoDisplay(String display, String wayland) {
        boolean none = (display == null || display.isBlank()) && (wayland == null || wayland.isBlank());
        return none ? "no display here (neither DISPLAY nor WAYLAND_DISPLAY is set)" : null;
    }

    /** Shows {@code r} drawn as it is saved; a video frame only briefly. */
    public void show(Results r) {
        if (broken) return;
        try (Mat m = Annotator.plot(r, style.showLabels(), style.showConf(), style.lineWidth())) {
            opencv_highgui.imshow(title, m);
            opencv_highgui.waitKey(r.frame() >= 0 ? FRAME_MS : IMAGE_MS);
        } catch (RuntimeException e) {   // e.g. GTK cannot reach the display that DISPLAY names
            broken = true;
            Log.info("show=true: the window could not open (" + Downloads.oneLine(e) + "); results are not shown");
        }
    }

    @Override
    public void close() {
        if (!broken) opencv_highgui.destroyWindow(title);
    }
}
