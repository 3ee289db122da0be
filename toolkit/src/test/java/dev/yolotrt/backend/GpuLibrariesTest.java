package dev.yolotrt.backend;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The GPU set-up of docs/gpu.md resolves every native library the GPU path loads: starting from the JNI bindings that
 * backend.TensorRt loads (cudart, nvinfer, nvonnxparser, nvinfer_plugin), each DT_NEEDED entry, followed through the
 * libraries found, must be in bytedeco's platform or redist jars or be a library every Linux system or the NVIDIA
 * driver provides. Runs on the CPU; skipped when the 3 GB of redist jars are not in the local Maven repository.
 */
class GpuLibrariesTest {

    /** What the GPU path's JNI bindings are (JavaCPP's libjni<name>.so), in the jars of the bytedeco artifacts. */
    private static final List<String> JNI = List.of("libjnicudart.so", "libjninvinfer.so", "libjninvonnxparser.so", "libjninvinfer_plugin.so");

    /** glibc, the C++ runtime (a JVM needs them) and libcuda.so.1, which only the NVIDIA driver installs. */
    private static final Set<String> SYSTEM = Set.of("libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
            "ld-linux-x86-64.so.2", "libgcc_s.so.1", "libstdc++.so.6");
    private static final String DRIVER = "libcuda.so.1";

    @Test
    void everyLibraryTheGpuPathLoadsComesFromTheRedistJarsOrTheSystem() throws IOException {
        List<Path> jars = jars();
        Map<String, ZipFile> where = new TreeMap<>();
        Map<String, ZipEntry> entries = new TreeMap<>();
        List<ZipFile> open = new ArrayList<>();
        try {
            for (Path j : jars) {
                ZipFile z = new ZipFile(j.toFile());
                open.add(z);
                z.stream().filter(e -> e.getName().matches("org/bytedeco/[^/]+/linux-x86_64/[^/]+\\.so[.0-9]*")).forEach(e -> {
                    String name = e.getName().substring(e.getName().lastIndexOf('/') + 1);
                    where.put(name, z);
                    entries.put(name, e);
                });
            }
            Map<String, List<String>> needed = new LinkedHashMap<>();
            Set<String> missing = new TreeSet<>(), system = new TreeSet<>();
            Deque<String> todo = new ArrayDeque<>(JNI);
            while (!todo.isEmpty()) {
                String lib = todo.pop();
                if (needed.containsKey(lib)) continue;
                assertTrue(entries.containsKey(lib), lib + " is in none of " + jars);
                ZipFile jar = where.get(lib);
                ZipEntry entry = entries.get(lib);
                List<String> deps = dtNeeded(() -> jar.getInputStream(entry));
                needed.put(lib, deps);
                for (String d : deps) {
                    if (entries.containsKey(d)) todo.push(d);
                    else if (SYSTEM.contains(d) || d.equals(DRIVER)) system.add(d);
                    else missing.add(d + " (needed by " + lib + ")");
                }
            }
            System.out.println("GPU path libraries and what they need: " + needed);
            assertTrue(missing.isEmpty(), "not in the redist jars nor a system library: " + missing);
            // The closure reaches TensorRT and the CUDA runtime themselves, which only the redist jars hold.
            assertTrue(needed.keySet().containsAll(List.of("libcudart.so.12", "libnvinfer.so.10", "libnvonnxparser.so.10", "libnvinfer_plugin.so.10")),
                    needed.keySet().toString());
            // Not linked but loaded: JavaCPP preloads TensorRT's builder resource, which TensorRT opens to build engines.
            assertTrue(entries.containsKey("libnvinfer_builder_resource.so.10.6.0"), entries.keySet().toString());
            assertTrue(system.contains(DRIVER), system.toString());
            for (String s : system) {
                if (!s.equals(DRIVER)) assertTrue(onThisSystem(s), s + " is not installed here");
            }
        } finally {
            for (ZipFile z : open) z.close();
        }
    }

    /**
     * TensorRT opens its builder resource by file name when it creates a builder, and the copy JavaCPP preloads from the
     * redist jar has another soname, so dlopen finds it only through LD_LIBRARY_PATH (the seventh GPU run's failure: no
     * builder). {@code ./yolo-trt library-path} must name the folder JavaCPP extracts that jar's libraries into, which the
     * launcher puts on LD_LIBRARY_PATH. Checked with JavaCPP's own extraction of a small library of the same jar.
     */
    @Test
    void launcherPutsTheFolderTensorRtOpensItsBuilderResourceFromOnTheLibraryPath(@TempDir Path root) throws Exception {
        Path redist = jars().stream().filter(j -> j.getFileName().toString().matches("tensorrt-.*-redist\\.jar")).findFirst().orElseThrow();
        String resource = "libnvinfer_builder_resource.so." + org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MAJOR + "."
                + org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_MINOR + "." + org.bytedeco.tensorrt.global.nvinfer.NV_TENSORRT_PATCH;
        String folder = "org/bytedeco/tensorrt/linux-x86_64/";
        try (ZipFile z = new ZipFile(redist.toFile())) {
            ZipEntry e = z.getEntry(folder + resource);
            assertTrue(e != null, resource + " is not in " + redist);
            String soname = dynamic(() -> z.getInputStream(e)).soname();
            assertTrue(!resource.equals(soname), "the builder resource's soname is its file name: LD_LIBRARY_PATH would not be needed");
        }
        Path lib = Files.createDirectories(root.resolve("toolkit/target/lib"));
        Files.copy(Path.of("..", "yolo-trt"), root.resolve("yolo-trt"));
        Path link = Files.createSymbolicLink(lib.resolve(redist.getFileName()), redist.toAbsolutePath());
        String printed;
        try {
            ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("yolo-trt").toString(), "library-path");
            pb.environment().put("JAVA_TOOL_OPTIONS", "-Dorg.bytedeco.javacpp.cachedir=" + org.bytedeco.javacpp.Loader.getCacheDir());
            Process p = pb.redirectErrorStream(true).start();
            printed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, p.waitFor(), printed);
        } finally {
            Files.delete(link);
        }
        java.io.File extracted = org.bytedeco.javacpp.Loader.cacheResource(new java.net.URL("jar:" + redist.toUri() + "!/" + folder + "libnvonnxparser.so.10"));
        assertEquals(extracted.getParentFile().getCanonicalPath(), Path.of(printed).toRealPath().toString());
    }

    /** The ELF reader against a library of this machine whose needs are known. */
    @Test
    void dtNeededReadsAnElfFile() throws IOException {
        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        Assumptions.assumeTrue(Files.isRegularFile(libm), "no " + libm + " on this machine");
        assertEquals(List.of("libc.so.6", "ld-linux-x86-64.so.2"), dtNeeded(() -> Files.newInputStream(libm)));
    }

    static boolean onThisSystem(String lib) {
        for (String dir : List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib")) {
            if (Files.exists(Path.of(dir, lib))) return true;
        }
        return false;
    }

    /**
     * The platform jars of tensorrt and cuda from the test classpath, and their redist twins: on the classpath (the gpu
     * profile) or beside them in the local Maven repository.
     */
    static List<Path> jars() {
        List<Path> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (!name.matches("(tensorrt|cuda)-[^/]*-linux-x86_64\\.jar")) continue;
            Path jar = Path.of(e);
            Path redist = jar.resolveSibling(name.replace("-linux-x86_64.jar", "-linux-x86_64-redist.jar"));
            Assumptions.assumeTrue(Files.isRegularFile(redist), "GPU set-up not checked: " + redist + " is not in the local Maven repository"
                    + " (3 GB; run ./yolo-trt setup gpu or mvn -Pgpu package to fetch it)");
            out.add(jar);
            out.add(redist);
        }
        assertEquals(4, out.size(), "tensorrt and cuda platform jars on the classpath: " + out);
        return out;
    }

    /** Opens the library's bytes from the start, once per pass. */
    interface Source {
        InputStream open() throws IOException;
    }

    /**
     * The DT_NEEDED names of a 64-bit little-endian ELF shared library, in two streamed passes (the libraries are
     * hundreds of MB inside jars): the program headers and the dynamic segment, then the string table it points at.
     */
    static List<String> dtNeeded(Source file) throws IOException {
        return dynamic(file).needed();
    }

    /** A shared library's DT_NEEDED names and its DT_SONAME (null when it has none). */
    record Dynamic(List<String> needed, String soname) {
    }

    static Dynamic dynamic(Source file) throws IOException {
        List<Long> needed = new ArrayList<>();
        long strtab = -1, strsz = 0, soname = -1;
        List<long[]> loads = new ArrayList<>();   // {vaddr, offset, filesz}
        try (DataInputStream in = new DataInputStream(file.open())) {
            byte[] head = new byte[64];
            in.readFully(head);
            ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
            assertTrue(h.getInt(0) == 0x464c457f && head[4] == 2 && head[5] == 1, "not a 64-bit little-endian ELF file");
            long phoff = h.getLong(32);
            int phentsize = h.getShort(54) & 0xffff, phnum = h.getShort(56) & 0xffff;
            in.skipNBytes(phoff - 64);
            byte[] ph = new byte[phentsize * phnum];
            in.readFully(ph);
            ByteBuffer p = ByteBuffer.wrap(ph).order(ByteOrder.LITTLE_ENDIAN);
            long dynOff = -1, dynSize = 0;
            for (int i = 0; i < phnum; i++) {
                int b = i * phentsize, type = p.getInt(b);
                long off = p.getLong(b + 8), vaddr = p.getLong(b + 16), filesz = p.getLong(b + 32);
                if (type == 2) {
                    dynOff = off;
                    dynSize = filesz;
                } else if (type == 1) {
                    loads.add(new long[] {vaddr, off, filesz});
                }
            }
            if (dynOff < 0) return new Dynamic(List.of(), null);   // linked statically
            in.skipNBytes(dynOff - phoff - ph.length);
            ByteBuffer d = ByteBuffer.wrap(in.readNBytes((int) dynSize)).order(ByteOrder.LITTLE_ENDIAN);
            while (d.remaining() >= 16) {
                long tag = d.getLong(), val = d.getLong();
                if (tag == 0) break;         // DT_NULL
                if (tag == 1) needed.add(val);   // DT_NEEDED: an offset into the string table
                if (tag == 5) strtab = val;      // DT_STRTAB: its address
                if (tag == 10) strsz = val;      // DT_STRSZ
                if (tag == 14) soname = val;     // DT_SONAME
            }
        }
        long strOff = -1;
        for (long[] l : loads) {
            if (strtab >= l[0] && strtab < l[0] + l[2]) strOff = strtab - l[0] + l[1];
        }
        assertTrue(strOff >= 0 && strsz > 0, "no string table in a loadable segment");
        byte[] strings;
        try (InputStream in = file.open()) {
            in.skipNBytes(strOff);
            strings = in.readNBytes((int) strsz);
        }
        List<String> names = new ArrayList<>();
        for (long n : needed) names.add(string(strings, n));
        return new Dynamic(names, soname < 0 ? null : string(strings, soname));
    }

    private static String string(byte[] table, long offset) {
        int s = (int) offset, e = s;
        while (table[e] != 0) e++;
        return new String(table, s, e - s, StandardCharsets.US_ASCII);
    }
}
