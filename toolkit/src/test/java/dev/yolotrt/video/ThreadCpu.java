package dev.yolotrt.video;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Not a test: the process's CPU time by thread name while it runs (Linux /proc), for TrackRates' profile. A sampler
 * reads every thread's user+system ticks every 50 ms, so threads that end between two samples lose at most 50 ms;
 * names are grouped with their digits dropped (FFmpeg's and the JVM's numbered workers count as one).
 */
final class ThreadCpu implements AutoCloseable {
    private static final double TICK_S = 0.01;
    private final Map<Integer, String> names = new HashMap<>();
    private final Map<Integer, Long> first = new HashMap<>();
    private final Map<Integer, Long> last = new HashMap<>();
    private final long[] processStart;
    private final Thread sampler;
    private volatile boolean running = true;

    ThreadCpu() {
        processStart = process();
        sample();
        for (Map.Entry<Integer, Long> e : last.entrySet()) first.put(e.getKey(), e.getValue());
        sampler = new Thread(() -> {
            while (running) {
                sample();
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "cpu-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private synchronized void sample() {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    String s = Files.readString(t.resolve("stat"));
                    int open = s.indexOf('('), close = s.lastIndexOf(')');
                    String[] f = s.substring(close + 2).split(" ");
                    int tid = Integer.parseInt(s.substring(0, open).strip());
                    names.put(tid, s.substring(open + 1, close).replaceAll("[0-9]+", "#"));
                    last.put(tid, Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** utime+stime ticks and minor faults of the whole process. */
    private static long[] process() {
        try {
            String s = Files.readString(Path.of("/proc/self/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return new long[] {Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[7])};
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** One line: process CPU s and ms a frame, faults a frame, then each group's CPU s, largest first. */
    String report(int frames) {
        running = false;
        sampler.interrupt();
        sample();
        long[] p = process();
        Map<String, Long> groups = new TreeMap<>();
        synchronized (this) {
            for (Map.Entry<Integer, Long> e : last.entrySet()) {
                long d = e.getValue() - first.getOrDefault(e.getKey(), 0L);
                if (d > 0) groups.merge(names.get(e.getKey()), d, Long::sum);
            }
        }
        double cpu = (p[0] - processStart[0]) * TICK_S;
        return String.format(Locale.ROOT, "cpu %.2f s = %.2f ms a frame, %d minor faults a frame; by thread: %s", cpu, 1000 * cpu / frames,
                (p[1] - processStart[1]) / Math.max(1, frames),
                groups.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .map(e -> String.format(Locale.ROOT, "%s %.2f", e.getKey(), e.getValue() * TICK_S)).collect(Collectors.joining(", ")));
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
    }
}
