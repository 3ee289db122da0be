package dev.yolotrt.fuzz;

import com.sun.net.httpserver.HttpServer;
import dev.yolotrt.data.Dataset;
import dev.yolotrt.util.AtomicWrite;
import dev.yolotrt.util.Downloads;
import dev.yolotrt.util.Settings;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Downloads against a loopback server whose every answer is drawn from the case's seed: status codes, redirects,
 * lengths that lie, bodies around the size cap, archives with hostile entry names; and URLs that are not http at
 * all. Properties: a download either leaves the whole body at its target inside the run folder or leaves nothing
 * (no file, no part file); an archive never writes outside the datasets folder.
 */
final class DownloadFuzz {

    private static final List<String> ENTRY_NAMES = List.of("ds/images/val/a.jpg", "ds/labels/val/a.txt", "../escape.txt", "/abs.txt",
            "ds/../../escape.txt", "ds/./ok.txt", "ds\\..\\..\\win.txt", "", "ds/", "ds/images/", "ds/x\0y");
    private static final List<String> BAD_URLS = List.of("http://", "ftp://127.0.0.1/x", "file:///etc/passwd", "jar:file:///x!/y",
            "http://127.0.0.1:1/x", "http://[::1", "HTTP://127.0.0.1:1/", "https://", "//127.0.0.1/x", "http://user@/x", "x");

    private final Random rnd;
    private final Path run;
    private final Path outside;

    DownloadFuzz(Random rnd, Path run, Path outside) {
        this.rnd = rnd;
        this.run = run;
        this.outside = outside;
    }

    void run(FuzzTest test) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", x -> {
            try (x) {
                String digits = x.getRequestURI().getPath().replaceAll("\\D", "");
                answer(new Random(digits.isEmpty() ? 0 : Long.parseLong(digits.substring(0, Math.min(18, digits.length())))), x);
            } catch (IOException | RuntimeException hungUp) {
                // the client gave up (a cap was reached), or the path was one of ours gone odd: the answer ends here
            }
        });
        java.util.concurrent.ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "download-fuzz-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        Path datasets = Files.createDirectories(run.resolve("datasets"));
        Settings s = Settings.from(Map.of(Settings.DATASETS, datasets.toString(), Settings.CACHE, run.resolve("cache").toString()));
        System.setProperty("yolo.trt.image.max.mb", "1");
        System.setProperty("yolo.trt.model.max.mb", "1");
        System.setProperty("yolo.trt.dataset.max.mb", "1");
        try {
            for (int i = 0; i < Integer.getInteger("yolo.fuzz.cases", 2_000); i++) {
                long seed = 1 + (rnd.nextLong() & 0xffffffffL);
                String url = rnd.nextInt(20) == 0 ? BAD_URLS.get(rnd.nextInt(BAD_URLS.size())) : base + "/" + seed;
                switch (rnd.nextInt(3)) {
                    case 0 -> test.check("downloads", "bytes " + url, () -> Downloads.bytes(url, Downloads.Kind.IMAGE, "image"));
                    case 1 -> {
                        Path target = run.resolve("m" + (i % 7) + ".pt");
                        test.check("downloads", "fetch " + url, () -> {
                            try {
                                Downloads.fetch(url, target, null, Downloads.Kind.MODEL, "X.");
                            } finally {
                                noPartsIn(run);
                            }
                        });
                    }
                    default -> {
                        String into = rnd.nextBoolean() ? "." : List.of("sub", "../up", "/abs", "a/../..", "ds").get(rnd.nextInt(5));
                        String yaml = "path: ds\nval: images/val\nnames: [a]\ndownload:\n  " + base + "/" + seed + "/z.zip: '" + into + "'\n";
                        test.check("downloads", "dataset " + yaml, () -> {
                            try {
                                Dataset.fromYaml(yaml, "fuzz.yaml", s).images("val", s);
                            } finally {
                                noPartsIn(run);
                                emptyFolder(datasets); // so that the next case downloads again
                            }
                        });
                    }
                }
            }
        } finally {
            System.clearProperty("yolo.trt.image.max.mb");
            System.clearProperty("yolo.trt.model.max.mb");
            System.clearProperty("yolo.trt.dataset.max.mb");
            server.stop(0);
            pool.shutdownNow();
        }
        try (Stream<Path> left = Files.list(outside)) {
            if (left.anyMatch(p -> !p.getFileName().toString().equals("w.bin"))) throw new AssertionError("a download wrote outside the run folder");
        }
        if (Files.exists(run.getParent().resolve("escape.txt")) || Files.exists(Path.of("/abs.txt"))) {
            throw new AssertionError("an archive entry escaped");
        }
    }

    /** One answer: a status, maybe a redirect, a length that may lie, a body (random bytes or a zip) around the 1 MiB cap. */
    private static void answer(Random r, com.sun.net.httpserver.HttpExchange x) throws IOException {
        int kind = r.nextInt(10);
        if (kind == 0) {
            x.sendResponseHeaders(new int[] {404, 500, 403, 204, 418}[r.nextInt(5)], -1);
            return;
        }
        if (kind == 1) {
            x.getResponseHeaders().add("Location", r.nextBoolean() ? "/" + (1 + r.nextInt(1000)) : "file:///etc/passwd");
            x.sendResponseHeaders(302, -1);
            return;
        }
        // Zips are built whole (they are small); other bodies are streamed from one 64 KB block, whatever their size.
        byte[] zip = kind < 5 ? zip(r) : null;
        long length = zip != null ? zip.length : new int[] {0, 1, 100, 65_536, 1 << 20, (1 << 20) + 1, 3 << 20}[r.nextInt(7)];
        long declared = switch (r.nextInt(4)) {
            case 0 -> 0; // chunked
            case 1 -> length + 1 + r.nextInt(100); // promises more than it sends
            default -> length;
        };
        x.sendResponseHeaders(200, declared == 0 && length == 0 ? -1 : declared);
        if (length == 0) return;
        OutputStream out = x.getResponseBody();
        if (zip != null) {
            out.write(zip);
            return;
        }
        byte[] block = new byte[1 << 16];
        r.nextBytes(block);
        for (long sent = 0; sent < length; sent += block.length) out.write(block, 0, (int) Math.min(block.length, length - sent));
    }

    private static byte[] zip(Random r) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(b)) {
            for (int i = 0, n = 1 + r.nextInt(4); i < n; i++) {
                String name = ENTRY_NAMES.get(r.nextInt(ENTRY_NAMES.size()));
                try {
                    z.putNextEntry(new ZipEntry(name.isEmpty() ? "e" + i : name));
                } catch (java.util.zip.ZipException duplicate) {
                    continue;
                }
                if (!name.endsWith("/")) z.write(("x" + i).repeat(1 + r.nextInt(50)).getBytes(StandardCharsets.UTF_8));
            }
        } catch (java.util.zip.ZipException empty) {
            // no entries
        }
        return b.toByteArray();
    }

    private static void emptyFolder(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void noPartsIn(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> parts = s.filter(AtomicWrite::isPartial).toList();
            if (!parts.isEmpty()) throw new AssertionError("part files left: " + parts);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
