package dev.yolotrt.cli;

import dev.yolotrt.task.Task;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Text;
import dev.yolotrt.util.YoloException;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * {@code yolo-trt MODE key=value ...}, Ultralytics' CLI grammar. Every failure the user can fix
 * reaches the terminal as one line and a non-zero exit code; set YOLO_TRT_DEBUG=1 for stack traces.
 */
public final class Main {

    /** The longest error line: messages quote files and arguments, which a stranger can make megabytes long. */
    static final int MAX_LINE = 2000;

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.exit(code);
    }

    /** Runs one command; returns the process exit code (0 ok, 1 failure, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            out.print(Commands.help());
            return 2;
        }
        String mode = args[0];
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        Task task = Task.find(mode).orElse(null);
        if (task != null) {   // Ultralytics' yolo TASK MODE key=value
            if (rest.isEmpty() || rest.get(0).contains("=")) {
                err.println("yolo-trt " + mode + ": a mode follows the task (" + String.join(", ", Commands.TASK_MODES) + "), e.g. yolo-trt "
                        + mode + " predict model=... source=...");
                return 2;
            }
            mode = rest.get(0);
            rest = rest.subList(1, rest.size());
        }
        try {
            return new Commands(out, err, task).run(mode, rest);
        } catch (YoloException e) {
            err.println("yolo-trt " + Text.clip(mode) + ": " + Text.line(e.getMessage(), MAX_LINE));
            debug(e, err);
            return 1;
        } catch (OutOfMemoryError e) {
            err.println("yolo-trt " + mode + ": out of Java memory (" + Downloads.oneLine(e) + "); give the JVM more with YOLO_TRT_JAVA_OPTS=-Xmx8g, "
                    + "or lower batch / imgsz");
            debug(e, err);
            return 1;
        } catch (RuntimeException | Error e) {
            // Anything else is a bug of ours: one line with the arguments, the trace only on request.
            err.println("yolo-trt " + mode + ": internal error " + e.getClass().getSimpleName() + ": " + Downloads.oneLine(e)
                    + " (running: " + Text.clip(String.join(" ", rest)) + "; set YOLO_TRT_DEBUG=1 for the trace and report it)");
            debug(e, err);
            return 1;
        }
    }

    private static void debug(Throwable e, PrintStream err) {
        if (System.getenv("YOLO_TRT_DEBUG") != null) e.printStackTrace(err);
    }
}
